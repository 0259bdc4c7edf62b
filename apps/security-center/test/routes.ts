/**
 * Every route the Nest router serves, read from the controllers' metadata (the same
 * metadata the router is built from), so a new route shows up here without anyone listing it.
 */
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { ACCESS, type AccessRule } from '../src/auth/access';

export interface RouteInfo {
  method: string;
  /** Express-style path, e.g. `/api/v1/groups/:id`. */
  path: string;
  access: AccessRule | undefined;
}

export function discoverRoutes(app: INestApplication): RouteInfo[] {
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const cls = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!cls) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, cls) ?? '');
      for (const name of Object.getOwnPropertyNames(cls.prototype)) {
        const handler = (cls.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (sub === undefined || method === undefined) continue;
        const path = ('/' + [base, sub].filter((p) => p !== '' && p !== '/').join('/')).replace(/\/+/g, '/');
        routes.push({
          method: RequestMethod[method],
          path,
          access: reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [handler as () => void, cls]),
        });
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
