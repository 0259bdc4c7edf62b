import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { loginRedirect } from './return-url';
import { EXPECTS_UNAUTHORIZED, SessionService } from './session.service';

export const CSRF_HEADER = 'X-CSRF-Token';

/** Only our own API sees the CSRF token or can end the session. */
const isApiRequest = (url: string): boolean => url.startsWith('/api/');

/**
 * Sends the session's CSRF token with every state-changing (non-GET) API request, and treats a
 * 401 from the API as the end of the session: forget it and go to the login page. The error
 * still reaches the caller.
 */
export const sessionInterceptor: HttpInterceptorFn = (req, next) => {
  if (!isApiRequest(req.url)) return next(req);
  const session = inject(SessionService);
  const router = inject(Router);

  const token = session.csrfToken();
  const outgoing =
    req.method !== 'GET' && token !== undefined ? req.clone({ setHeaders: { [CSRF_HEADER]: token } }) : req;

  return next(outgoing).pipe(
    catchError((err: unknown) => {
      if (err instanceof HttpErrorResponse && err.status === 401 && !req.context.get(EXPECTS_UNAUTHORIZED)) {
        session.expire();
        void router.navigateByUrl(loginRedirect(router, router.url));
      }
      return throwError(() => err);
    }),
  );
};
