import { HttpErrorResponse } from '@angular/common/http';
import type { ErrorBody } from '@ksn/contracts';

/** The `{error, message}` body every API error carries, when the response has one. */
export function errorBody(err: unknown): ErrorBody | undefined {
  if (!(err instanceof HttpErrorResponse)) return undefined;
  const body: unknown = err.error;
  if (typeof body !== 'object' || body === null) return undefined;
  const { error, message } = body as Partial<Record<keyof ErrorBody, unknown>>;
  return typeof error === 'string' && typeof message === 'string' ? (body as ErrorBody) : undefined;
}

/** A sentence for the page: the server's own message when it sent one, else what went wrong on the way. */
export function apiErrorMessage(err: unknown): string {
  const body = errorBody(err);
  if (body) return body.message;
  if (err instanceof HttpErrorResponse) {
    if (err.status === 0) return 'Security Center is not reachable. Check the network and try again.';
    return `Security Center answered HTTP ${err.status}${err.statusText ? ` ${err.statusText}` : ''}.`;
  }
  return err instanceof Error ? err.message : String(err);
}
