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

/** A server error placed where it belongs: beside `field` when the API named one, else for the whole form. */
export interface PlacedError {
  readonly field: string | null;
  readonly message: string;
}

export function placeError(err: unknown): PlacedError {
  const body = errorBody(err);
  return { field: body?.field ?? null, message: apiErrorMessage(err) };
}

/**
 * Whether a server error is about `name`: the API names fields as a path (`url`, `policy.cloud`,
 * `items[3].sha256`, `/hash`); a form control matches the first segment.
 */
export function errorIsFor(error: PlacedError | null, name: string): boolean {
  if (!error?.field) return false;
  const first = error.field.replace(/^\//, '').split(/[./[]/)[0];
  return first === name;
}

/** HTTP status of a failed request (0 when there is none). */
export function errorStatus(err: unknown): number {
  return err instanceof HttpErrorResponse ? err.status : 0;
}
