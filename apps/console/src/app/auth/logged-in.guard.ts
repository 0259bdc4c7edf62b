import { inject } from '@angular/core';
import { Router, type CanActivateFn } from '@angular/router';
import { SessionService } from './session.service';

export const loggedIn: CanActivateFn = async () => {
  const ok = await inject(SessionService).restore();
  return ok || inject(Router).createUrlTree(['/login']);
};
