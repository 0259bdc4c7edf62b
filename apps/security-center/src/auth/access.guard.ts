import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../common/api-error';
import { ProxiesService } from '../proxies/proxies.service';
import { UsersService } from '../users/users.service';
import { ACCESS, readCookie, SESSION_COOKIE, type AccessRule, type AuthedRequest } from './access';
import { AuthService } from './auth.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The one place access is decided: session + role + CSRF for users, API key for proxies. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly proxies: ProxiesService,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    req.auth = {};
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]) ?? {
      kind: 'roles',
      roles: ['admin', 'operator', 'auditor'],
    };
    switch (rule.kind) {
      case 'public':
        return true;
      case 'proxy': {
        const key = bearer(req);
        const proxy = key ? await this.proxies.authenticate(key) : undefined;
        if (!proxy) throw new ApiError('unauthorized', 'a valid proxy API key is required');
        req.auth.proxy = proxy;
        return true;
      }
      case 'roles': {
        // Automation: an API token in the Authorization header (no cookie, so no CSRF to fear).
        const apiToken = bearer(req);
        if (apiToken !== undefined) {
          const principal = await this.users.authenticateToken(apiToken);
          if (!principal) throw new ApiError('unauthorized', 'unknown or expired API token');
          req.auth.actor = `token:${principal.name}`;
          req.auth.role = principal.role;
          if (!rule.roles.includes(principal.role))
            throw new ApiError('forbidden', `requires role ${rule.roles.join(' or ')}`);
          return true;
        }
        const token = readCookie(req, SESSION_COOKIE);
        const session = token ? await this.auth.resolveSession(token) : undefined;
        if (!session) throw new ApiError('unauthorized', 'log in first');
        req.auth.user = session.user;
        req.auth.csrfToken = session.csrfToken;
        req.auth.actor = session.user.username;
        req.auth.role = session.user.role;
        if (!SAFE_METHODS.has(req.method) && !sameSecret(req.headers['x-csrf-token'], session.csrfToken)) {
          throw new ApiError('csrf_failed', 'missing or wrong X-CSRF-Token header');
        }
        if (!rule.roles.includes(session.user.role))
          throw new ApiError('forbidden', `requires role ${rule.roles.join(' or ')}`);
        return true;
      }
    }
  }
}

function bearer(req: AuthedRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
