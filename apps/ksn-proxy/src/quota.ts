/**
 * Upstream quota guard: a token bucket refilled continuously at `perSecond`,
 * holding at most `burst` tokens. `perSecond` 0 means unlimited.
 */
export class TokenBucket {
  private tokensLeft: number;
  private last: number;
  private throttledCount = 0;
  readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = burst > 0 ? burst : perSecond;
    this.tokensLeft = this.capacity;
    this.last = this.now();
  }

  get unlimited(): boolean {
    return this.perSecond === 0;
  }

  /** Tokens available now (the gauge); -1 when unlimited. */
  get tokens(): number {
    if (this.unlimited) return -1;
    this.refill();
    return this.tokensLeft;
  }

  get throttled(): number {
    return this.throttledCount;
  }

  /** Takes one token; false (and counted) when the bucket is empty. */
  take(): boolean {
    if (this.unlimited) return true;
    this.refill();
    if (this.tokensLeft >= 1) {
      this.tokensLeft -= 1;
      return true;
    }
    this.throttledCount++;
    return false;
  }

  /** Seconds until a token is available (for Retry-After). */
  waitSeconds(): number {
    if (this.unlimited) return 0;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }

  private refill(): void {
    const now = this.now();
    this.tokensLeft = Math.min(this.capacity, this.tokensLeft + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }
}
