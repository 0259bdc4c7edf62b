import { ERROR_STATUS, type ErrorCode } from '@ksn/contracts';

/** The one error type of the API: a machine-readable code (→ status), a message, and the field at fault. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}
