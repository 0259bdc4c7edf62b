import type { Router, UrlTree } from '@angular/router';

export const LOGIN_PATH = '/login';

/** The page to open after login: only a path inside the console (never another site, never login itself). */
export function safeReturnUrl(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  if (raw === LOGIN_PATH || raw.startsWith(`${LOGIN_PATH}?`) || raw.startsWith(`${LOGIN_PATH}/`)) return '/';
  return raw;
}

/** /login, remembering where the user was so login can take them back. */
export function loginRedirect(router: Router, from: string): UrlTree {
  const returnUrl = safeReturnUrl(from);
  return router.createUrlTree([LOGIN_PATH], returnUrl === '/' ? {} : { queryParams: { returnUrl } });
}
