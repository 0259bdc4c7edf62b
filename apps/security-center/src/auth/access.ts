import { SetMetadata } from '@nestjs/common';
import type { Role } from '@ksn/contracts';
import type { Request } from 'express';
import type { ProxyEntity } from '../proxies/proxy.entity';
import type { User } from './user.entity';

/**
 * Who may call a route. Default (no decorator): any logged-in console user.
 * - `public`: anyone (login, enrolment, health);
 * - `proxy`: a registered ksn-proxy with its API key;
 * - roles: a logged-in user with one of the roles.
 */
export type AccessRule = { kind: 'public' } | { kind: 'proxy' } | { kind: 'roles'; roles: readonly Role[] };
export const ACCESS = 'ksn:access';

export const Public = () => SetMetadata(ACCESS, { kind: 'public' } satisfies AccessRule);
export const ProxyOnly = () => SetMetadata(ACCESS, { kind: 'proxy' } satisfies AccessRule);
export const Roles = (...roles: Role[]) => SetMetadata(ACCESS, { kind: 'roles', roles } satisfies AccessRule);

/** What the guard attaches to the request. */
export interface AuthContext {
  user?: User;
  csrfToken?: string;
  proxy?: ProxyEntity;
  /** Who acts, for the audit log: the username, or `token:<name>` for an API token. */
  actor?: string;
  role?: Role;
}
export type AuthedRequest = Request & { auth: AuthContext };

export const SESSION_COOKIE = 'ksn_session';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // malformed escape: no usable session, so 401 rather than 500
      }
    }
  }
  return undefined;
}

/** The audit name of whoever made the request (set by the guard on every console route). */
export function actorOf(req: AuthedRequest): string {
  return req.auth.actor ?? 'system';
}
