import { HttpErrorResponse } from '@angular/common/http';
import { apiErrorMessage, errorBody } from './api-error';

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
