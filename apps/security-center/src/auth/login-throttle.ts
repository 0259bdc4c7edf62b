import { Inject, Injectable } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { CONFIG, type Config } from '../config';

/** How long a client address's failed logins are remembered. */
export const LOGIN_THROTTLE_WINDOW_MS = 10 * 60_000;
/** Client addresses remembered at most (the oldest window is forgotten first). */
const MAX_CLIENTS = 10_000;

/**
 * Failed logins per client address, beside the per-account lockout (auth.service.ts):
 * past LOGIN_FAILURES_PER_CLIENT failures within 10 minutes, an address gets 429
 * `rate_limited` with Retry-After until its window ends, whatever account it tries.
 * That bounds password spraying across accounts and the argon2 work one address can
 * cause. Kept in this instance's memory: behind a load balancer each instance counts
 * its own share (and all clients share the balancer's address unless it passes the
 * connection through).
 */
@Injectable()
export class LoginThrottle {
  private readonly clients = new Map<string, { failures: number; until: number }>();

  constructor(@Inject(CONFIG) private readonly config: Pick<Config, 'LOGIN_FAILURES_PER_CLIENT'>) {}

  /** Refuses the address while it is over its limit. */
  check(client: string, now = Date.now()): void {
    const c = this.clients.get(client);
    if (c === undefined || c.until <= now || c.failures < this.config.LOGIN_FAILURES_PER_CLIENT) return;
    throw new ApiError(
      'rate_limited',
      'too many failed logins from this address; try again later',
      undefined,
      {
        'retry-after': String(Math.ceil((c.until - now) / 1000)),
      },
    );
  }

  failed(client: string, now = Date.now()): void {
    let c = this.clients.get(client);
    if (c === undefined || c.until <= now) {
      this.clients.delete(client);
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      c = { failures: 0, until: now + LOGIN_THROTTLE_WINDOW_MS };
      this.clients.set(client, c);
    }
    c.failures++;
  }
}
