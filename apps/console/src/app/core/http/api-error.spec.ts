import { HttpErrorResponse } from '@angular/common/http';
import { apiErrorMessage, errorBody, errorIsFor, errorStatus, placeError } from './api-error';

describe('apiErrorMessage', () => {
  it("uses the server's message from an error body", () => {
    const err = new HttpErrorResponse({
      status: 429,
      error: { error: 'rate_limited', message: 'too many attempts, wait 60 s' },
    });
    expect(errorBody(err)?.error).toBe('rate_limited');
    expect(apiErrorMessage(err)).toBe('too many attempts, wait 60 s');
  });

  it('says the server is unreachable on status 0', () => {
    expect(apiErrorMessage(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') }))).toMatch(
      /not reachable/,
    );
  });

  it('names the status when the body is not an API error', () => {
    const err = new HttpErrorResponse({
      status: 502,
      statusText: 'Bad Gateway',
      error: '<html>nginx</html>',
    });
    expect(errorBody(err)).toBeUndefined();
    expect(apiErrorMessage(err)).toBe('Security Center answered HTTP 502 Bad Gateway.');
  });

  it('falls back to the message of other errors', () => {
    expect(apiErrorMessage(new Error('boom'))).toBe('boom');
  });
});

describe('placeError / errorIsFor', () => {
  const err = (body: unknown, status = 400): HttpErrorResponse =>
    new HttpErrorResponse({ error: body, status, statusText: 'Bad Request' });

  it('keeps the field the API named', () => {
    const placed = placeError(err({ error: 'invalid_request', message: 'not a URL', field: 'url' }));
    expect(placed).toEqual({ field: 'url', message: 'not a URL' });
    expect(errorIsFor(placed, 'url')).toBe(true);
    expect(errorIsFor(placed, 'hash')).toBe(false);
  });

  it.each([
    ['/hash', 'hash'],
    ['policy.cloud.modules', 'policy'],
    ['items[3].sha256', 'items'],
  ])('matches the first segment of %p to %p', (field, name) => {
    expect(errorIsFor({ field, message: 'x' }, name)).toBe(true);
  });

  it('puts an error without a field on the whole form', () => {
    const placed = placeError(err({ error: 'conflict', message: 'taken' }, 409));
    expect(placed.field).toBeNull();
    expect(errorIsFor(placed, 'name')).toBe(false);
    expect(errorStatus(err({}, 409))).toBe(409);
    expect(errorStatus(new Error('x'))).toBe(0);
  });
});
