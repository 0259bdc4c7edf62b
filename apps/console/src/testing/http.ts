import type { TestRequest } from '@angular/common/http/testing';

/** Answers a request the way Security Center answers errors: `{error, message}` with the status. */
export function flushError(req: TestRequest, status: number, error: string, message: string): void {
  req.flush({ error, message }, { status, statusText: STATUS_TEXT[status] ?? 'Error' });
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};
