import { HttpError } from '@ksn/service-kit';

/** 503 `overloaded`: too much upstream work in flight (the concurrency cap). */
export function overloaded(retryAfterSeconds = 1): HttpError {
  return new HttpError('overloaded', 'too much upstream work in flight; retry shortly', undefined, {
    'retry-after': String(retryAfterSeconds),
  });
}

/** 429 `upstream_quota`: the upstream quota is spent and nothing is cached. */
export function quotaExhausted(retryAfterSeconds = 1): HttpError {
  return new HttpError(
    'upstream_quota',
    'the upstream quota is spent and nothing is cached; retry shortly',
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );
}
