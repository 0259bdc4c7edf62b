import { HttpError } from '@ksn/service-kit';

/**
 * Proxy-only error codes that are not in the shared ERROR_STATUS table:
 * `overloaded` (503: too much upstream work in flight) and `upstream_quota`
 * (429: the upstream quota is spent and nothing is cached). Sent as the same
 * `{error, message}` JSON as every other error.
 */
export class ProxyError extends Error {
  constructor(
    readonly code: 'overloaded' | 'upstream_quota',
    readonly status: 503 | 429,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function overloaded(retryAfterSeconds = 1): ProxyError {
  return new ProxyError('overloaded', 503, 'too much upstream work in flight; retry shortly', { 'retry-after': String(retryAfterSeconds) });
}

export function quotaExhausted(retryAfterSeconds = 1): ProxyError {
  return new ProxyError('upstream_quota', 429, 'the upstream quota is spent and nothing is cached; retry shortly', { 'retry-after': String(retryAfterSeconds) });
}

export { HttpError };
