import { Faults, FaultSettingsError, NO_FAULTS } from './faults';

/** A deterministic stand-in for Math.random cycling through `values`. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe(Faults.name, () => {
  it('injects nothing by default', () => {
    const f = new Faults(Faults.settings());
    expect(f.current).toEqual(NO_FAULTS);
    expect(f.latency()).toBe(0);
    expect(f.injectedError()).toBeUndefined();
    expect(f.admit()).toEqual({ ok: true });
  });

  it('checks settings, naming the bad field', () => {
    expect(() => Faults.settings({ errorRate: 2 })).toThrow(FaultSettingsError);
    expect(() => Faults.settings({ errorRate: 2 })).toThrow(/errorRate/);
    expect(() => Faults.settings({ outage: 'sometimes' })).toThrow(/outage/);
    expect(() => Faults.settings({ errorStatuses: [418] })).toThrow(/errorStatuses/);
    expect(() => Faults.settings({ latencyMs: 5, surprise: true })).toThrow(/surprise/);
    expect(Faults.settings({ latencyMs: 5 })).toEqual({ ...NO_FAULTS, latencyMs: 5 });
  });

  it('adds fixed latency plus jitter from the chosen distribution', () => {
    const uniform = new Faults(
      Faults.settings({ latencyMs: 100, latencyJitterMs: 50 }),
      sequence(0, 0.5, 0.999),
    );
    expect([uniform.latency(), uniform.latency(), uniform.latency()]).toEqual([100, 125, 150]);
    const exponential = new Faults(
      Faults.settings({ latencyMs: 10, latencyJitterMs: 100, latencyDistribution: 'exponential' }),
      sequence(0.5),
    );
    expect(exponential.latency()).toBe(Math.round(10 + Math.LN2 * 100));
    const normal = new Faults(
      Faults.settings({ latencyMs: 0, latencyJitterMs: 100, latencyDistribution: 'normal' }),
      sequence(0.5, 0.5),
    );
    // Never below zero, whatever the draw.
    expect(normal.latency()).toBe(0);
    const tail = new Faults(
      Faults.settings({ latencyMs: 0, latencyJitterMs: 60_000, latencyDistribution: 'exponential' }),
      sequence(0.999999),
    );
    expect(tail.latency()).toBe(60_000);
  });

  it('fails the given share of requests with the configured statuses', () => {
    const f = new Faults(
      Faults.settings({ errorRate: 0.5, errorStatuses: [502, 504] }),
      sequence(0.2, 0.1, 0.7, 0.2, 0.9),
    );
    expect(f.injectedError()).toBe('upstream_error');
    expect(f.injectedError()).toBeUndefined();
    expect(f.injectedError()).toBe('upstream_timeout');
    const always = new Faults(Faults.settings({ errorRate: 1 }));
    for (let i = 0; i < 50; i++) expect(['internal_error', 'unavailable']).toContain(always.injectedError());
  });

  it('rate-limits with a token bucket and says when to retry', () => {
    let now = 0;
    const f = new Faults(
      Faults.settings({ rateLimitPerSecond: 2, rateLimitBurst: 3 }),
      Math.random,
      () => now,
    );
    expect([f.admit().ok, f.admit().ok, f.admit().ok]).toEqual([true, true, true]);
    expect(f.admit()).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 500; // one token back
    expect(f.admit().ok).toBe(true);
    expect(f.admit().ok).toBe(false);
    const slow = new Faults(Faults.settings({ rateLimitPerSecond: 0.25 }), Math.random, () => now);
    expect(slow.admit().ok).toBe(true);
    expect(slow.admit()).toEqual({ ok: false, retryAfterSeconds: 4 });
  });

  it('updates and resets to the start-up knobs', () => {
    const f = new Faults(Faults.settings({ latencyMs: 7 }));
    expect(f.update({ outage: 'reset', errorRate: 0.5 })).toMatchObject({
      latencyMs: 7,
      outage: 'reset',
      errorRate: 0.5,
    });
    f.reset();
    expect(f.current).toEqual({ ...NO_FAULTS, latencyMs: 7 });
  });
});
