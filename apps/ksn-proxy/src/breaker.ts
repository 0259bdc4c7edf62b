/** 0 closed, 1 open, 2 half-open: the values of `ksn_proxy_circuit_state`. */
export const CIRCUIT_STATE = { closed: 0, open: 1, 'half-open': 2 } as const;
export type CircuitState = keyof typeof CIRCUIT_STATE;

/**
 * Circuit breaker for the upstream: opens after `failures` consecutive
 * failures; while open, callers are refused at once (they answer stale or
 * 502) until `resetMs` has passed; then one probe is let through (half-open):
 * its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = 0;
  private probing = false;
  private stateNow: CircuitState = 'closed';

  constructor(
    private readonly failures: number,
    private readonly resetMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.stateNow === 'open' && this.now() - this.openedAt >= this.resetMs) return 'half-open';
    return this.stateNow;
  }

  /** May a request go upstream now? In half-open state only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    this.stateNow = 'half-open';
    return true;
  }

  success(): void {
    this.consecutive = 0;
    this.probing = false;
    this.stateNow = 'closed';
  }

  failure(): void {
    this.consecutive++;
    if (this.probing || this.consecutive >= this.failures) {
      this.stateNow = 'open';
      this.openedAt = this.now();
    }
    this.probing = false;
  }
}
