import { LOGIN_THROTTLE_WINDOW_MS, LoginThrottle } from './login-throttle';

describe(LoginThrottle.name, () => {
  const throttle = () => new LoginThrottle({ LOGIN_FAILURES_PER_CLIENT: 2 });
  const refused = (t: LoginThrottle, client: string, now: number) => {
    try {
      t.check(client, now);
      return undefined;
    } catch (e) {
      return e as { code: string; headers?: Record<string, string> };
    }
  };

  it('refuses an address at its limit until its window ends, with Retry-After', () => {
    const t = throttle();
    t.failed('10.0.0.1', 0);
    expect(refused(t, '10.0.0.1', 1)).toBeUndefined();
    t.failed('10.0.0.1', 1_000);
    expect(refused(t, '10.0.0.1', 60_000)).toMatchObject({
      code: 'rate_limited',
      headers: { 'retry-after': String((LOGIN_THROTTLE_WINDOW_MS - 60_000) / 1000) },
    });
    // Other addresses are not affected.
    expect(refused(t, '10.0.0.2', 60_000)).toBeUndefined();
    // The window counts from the first failure; then the address starts afresh.
    expect(refused(t, '10.0.0.1', LOGIN_THROTTLE_WINDOW_MS)).toBeUndefined();
    t.failed('10.0.0.1', LOGIN_THROTTLE_WINDOW_MS);
    expect(refused(t, '10.0.0.1', LOGIN_THROTTLE_WINDOW_MS + 1)).toBeUndefined();
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    const t = throttle();
    t.failed('first', 0);
    t.failed('first', 0);
    for (let i = 0; i < 10_000; i++) t.failed(`client-${i}`, 1);
    expect(refused(t, 'first', 2)).toBeUndefined();
    t.failed('client-9999', 2);
    expect(refused(t, 'client-9999', 3)).toMatchObject({ code: 'rate_limited' });
  });
});
