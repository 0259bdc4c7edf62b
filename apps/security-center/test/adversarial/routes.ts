/**
 * The routes of a running security-center, read from the HTTP router itself (Express
 * under Nest) rather than from a hand-written list, so a route added later is covered
 * by the adversarial suite without anyone remembering to add it.
 */
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createHash } from 'node:crypto';

export interface RouteInfo {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express path template, e.g. `/api/v1/groups/:id`. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

export function apiRoutes(app: INestApplication): RouteInfo[] {
  const instance = app.getHttpAdapter().getInstance() as {
    router?: { stack: Layer[] };
    _router?: { stack: Layer[] };
  };
  const stack = instance.router?.stack ?? instance._router?.stack ?? [];
  const out: RouteInfo[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    for (const path of paths) {
      if (!path.startsWith('/api/')) continue;
      for (const [m, on] of Object.entries(layer.route.methods)) {
        const method = m.toUpperCase();
        if (on && ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
          out.push({ method: method as RouteInfo['method'], path });
      }
    }
  }
  return out;
}

/** Fills a path template's parameters (`:id`, `{:id}`, `*rest`) with the given value, URL-encoded. */
export function fillPath(path: string, value: string): string {
  const v = encodeURIComponent(value);
  return path.replace(/\{[^}]*\}/g, '').replace(/[:*][A-Za-z0-9_]+/g, v);
}

/** Tables whose rows a refused request may legitimately touch (sessions, audit of failures, leases). */
const VOLATILE =
  /^(sessions|audit|audit_entries|audit_log|job_leases?|migrations|typeorm_metadata|sqlite_sequence)$/i;

/**
 * A digest of every row of every table (except the volatile ones): equal digests
 * before and after a refused request prove that it changed nothing.
 */
export async function databaseDigest(
  ds: DataSource,
): Promise<{ digest: string; tables: Record<string, number> }> {
  const isSqlite = ds.options.type === 'better-sqlite3' || ds.options.type === 'sqlite';
  const rows = (await ds.query(
    isSqlite
      ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
  )) as { name: string }[];
  const hash = createHash('sha256');
  const tables: Record<string, number> = {};
  for (const { name } of rows) {
    if (VOLATILE.test(name)) continue;
    const content = (await ds.query(`SELECT * FROM ${isSqlite ? `"${name}"` : `\`${name}\``}`)) as Record<
      string,
      unknown
    >[];
    const lines = content
      .map((r) =>
        JSON.stringify(
          Object.keys(r)
            .sort()
            .map((k) => [k, r[k]]),
        ),
      )
      .sort();
    tables[name] = lines.length;
    hash.update(name).update('\0').update(lines.join('\n')).update('\0');
  }
  return { digest: hash.digest('hex'), tables };
}
