import { CircuitBreaker } from './breaker';
import { TokenBucket } from './quota';

describe(CircuitBreaker.name, () => {
  it('opens after N consecutive failures, lets one probe through half-open, closes on its success', () => {
    let now = 0;
    const b = new CircuitBreaker(3, 1000, () => now);
    b.failure();
    b.failure();
    b.success(); // resets the run
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one probe at a time
    b.success();
    expect(b.state).toBe('closed');
  });

  it('reopens when the half-open probe fails', () => {
    let now = 0;
    const b = new CircuitBreaker(1, 100, () => now);
    b.failure();
    now = 150;
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    now = 200;
    expect(b.state).toBe('open');
    now = 250;
    expect(b.state).toBe('half-open');
  });
});

describe(TokenBucket.name, () => {
  it('allows a burst, then refills at the rate, counting refusals', () => {
    let now = 0;
    const q = new TokenBucket(2, 3, () => now);
    expect([q.take(), q.take(), q.take(), q.take()]).toEqual([true, true, true, false]);
    expect(q.throttled).toBe(1);
    now = 500; // one token back
    expect(q.take()).toBe(true);
    expect(q.take()).toBe(false);
    now = 10_000;
    expect(q.tokens).toBe(3); // never above the burst
  });

  it('is unlimited at 0 per second', () => {
    const q = new TokenBucket(0, 0);
    for (let i = 0; i < 1000; i++) expect(q.take()).toBe(true);
    expect(q.tokens).toBe(-1);
  });
});
