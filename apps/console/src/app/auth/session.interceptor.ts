import { HttpErrorResponse, type HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { SessionService } from './session.service';

/** Sends the CSRF token with every write; a 401 from the API ends the session and returns to login. */
export const sessionInterceptor: HttpInterceptorFn = (req, next) => {
  const session = inject(SessionService);
  const router = inject(Router);
  const csrf = session.me()?.csrfToken;
  const outgoing = req.method !== 'GET' && csrf ? req.clone({ setHeaders: { 'X-CSRF-Token': csrf } }) : req;
  return next(outgoing).pipe(
    catchError((err: unknown) => {
      const isAuthCall = req.url.startsWith('/api/v1/auth/');
      if (err instanceof HttpErrorResponse && err.status === 401 && !isAuthCall) {
        session.expire();
        void router.navigate(['/login'], { queryParams: { expired: 1 } });
      }
      return throwError(() => err);
    }),
  );
};
