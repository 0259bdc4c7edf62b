import { inject } from '@angular/core';
import { Router, type CanActivateFn } from '@angular/router';
import { loginRedirect } from './return-url';
import { SessionService } from './session.service';

/** Pages behind login. The session was restored at start-up (see app.config.ts), so this is synchronous. */
export const requireSession: CanActivateFn = (_route, state) => {
  if (inject(SessionService).loggedIn()) return true;
  return loginRedirect(inject(Router), state.url);
};

/** The login page sends a logged-in user on to the console. */
export const redirectIfLoggedIn: CanActivateFn = () => {
  if (!inject(SessionService).loggedIn()) return true;
  return inject(Router).parseUrl('/');
};

/** Users, roles and API tokens: admins only (others go to the dashboard). */
export const requireAdmin: CanActivateFn = () => {
  if (inject(SessionService).isAdmin()) return true;
  return inject(Router).parseUrl('/dashboard');
};
