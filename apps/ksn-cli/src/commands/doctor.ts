import { compile, LookupResponse } from '@ksn/contracts';
import { randomBytes } from 'node:crypto';
import type { Settings } from '../config';
import { DEFAULT_PROXY_URL } from '../config';
import { CliError } from '../errors';
import { httpError, requestJson } from '../http';
import type { Io } from '../io';
import { duration, json, table } from '../output';
import { renew, renewalDue } from '../session';
import { readToken, tokenFileMode, type StoredToken } from '../token-store';
import { fetchPolicy } from './policy';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

const validLookup = compile(LookupResponse);
/** Past this age the snapshot in force is worth a look (security-center regenerates it on every change). */
const SNAPSHOT_AGE_WARN_SECONDS = 86_400;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - start) };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * `ksn doctor`: connectivity self-test, each check independent so one failure does not
 * hide the next: proxy reachable, token present and accepted, policy snapshot and its age,
 * the upstream reachable through the proxy (a lookup of a random hash, which no cache
 * holds), token renewal. Exit 0 when nothing failed (warnings allowed), else 2.
 */
export async function doctor(s: Settings, io: Io): Promise<number> {
  if (s.positionals.length > 0)
    throw new CliError('usage', `doctor takes no arguments, got "${s.positionals[0]}"`);
  const checks: Check[] = [];
  const add = (name: string, status: CheckStatus, detail: string) => checks.push({ name, status, detail });

  // 1. The proxy answers HTTP at all (any status: /healthz lives on the admin port).
  let reachable = false;
  try {
    const { value: res, ms } = await timed(() =>
      requestJson('GET', `${s.proxyUrl}/v1/policy`, { timeoutMs: s.timeoutMs }),
    );
    reachable = true;
    add('proxy reachable', 'ok', `${s.proxyUrl} answered in ${ms} ms (HTTP ${res.status} without a token)`);
  } catch (e) {
    add('proxy reachable', 'fail', message(e));
  }

  // 2. The token: on disk, private, not expired, accepted by the proxy.
  let token: StoredToken | undefined;
  try {
    token = readToken(s.tokenFile);
    if (!token) add('device token', 'fail', `no token at ${s.tokenFile}: run ksn enroll`);
    else {
      const mode = tokenFileMode(s.tokenFile);
      const left = Date.parse(token.expiresAt) - io.now();
      if (left <= 0) add('device token', 'fail', `expired at ${token.expiresAt}: run ksn enroll`);
      else if (mode !== undefined && (mode & 0o077) !== 0)
        add(
          'device token',
          'warn',
          `${s.tokenFile} is readable by others (mode ${mode.toString(8)}): chmod 600 it`,
        );
      else
        add(
          'device token',
          'ok',
          `device ${token.deviceId}, group ${token.groupId}, expires in ${duration(left)}`,
        );
    }
  } catch (e) {
    add('device token', 'fail', message(e));
  }

  let tokenAccepted = false;
  if (!reachable || !token) add('token accepted', 'skip', 'needs the proxy and a token');
  else {
    try {
      const p = await fetchPolicy(s, token.token);
      tokenAccepted = true;
      add('token accepted', 'ok', `the proxy knows device ${p.deviceId} in group ${p.groupId}`);
      // 3. Snapshot: version from the endpoint API, age from the admin listener's /readyz.
      const adminUrl =
        s.adminUrl ?? (s.proxyUrl === DEFAULT_PROXY_URL ? 'http://127.0.0.1:13112' : undefined);
      let age: number | undefined;
      if (adminUrl) {
        const ready = await requestJson('GET', `${adminUrl}/readyz`, { timeoutMs: s.timeoutMs }).catch(
          () => undefined,
        );
        const a = (ready?.body as { snapshotAgeSeconds?: unknown } | undefined)?.snapshotAgeSeconds;
        if (typeof a === 'number') age = a;
      }
      if (age === undefined)
        add(
          'policy snapshot',
          'ok',
          `version ${p.snapshotVersion} (age unknown: give --admin-url to read it from the proxy's admin port)`,
        );
      else if (age > SNAPSHOT_AGE_WARN_SECONDS)
        add(
          'policy snapshot',
          'warn',
          `version ${p.snapshotVersion}, generated ${duration(age * 1000)} ago: check that the proxy reaches security-center`,
        );
      else
        add('policy snapshot', 'ok', `version ${p.snapshotVersion}, generated ${duration(age * 1000)} ago`);
    } catch (e) {
      const err = e instanceof CliError ? e : undefined;
      const hint =
        err?.detail?.error === 'device_revoked'
          ? ' (this device was revoked in the console)'
          : err?.detail?.status === 401
            ? ' (enrol again: ksn enroll)'
            : err?.detail?.status === 503
              ? ' (the proxy has no policy snapshot yet: it cannot reach security-center)'
              : '';
      add('token accepted', 'fail', `${message(e)}${hint}`);
    }
  }
  if (!checks.some((c) => c.name === 'policy snapshot'))
    add('policy snapshot', 'skip', 'needs an accepted token');

  // 4. The upstream through the proxy: a random SHA-256 is in no cache, so the proxy must ask.
  if (!tokenAccepted || !token) add('upstream via proxy', 'skip', 'needs an accepted token');
  else {
    const sha256 = randomBytes(32).toString('hex');
    try {
      const { value: res, ms } = await timed(() =>
        requestJson('POST', `${s.proxyUrl}/v1/lookup`, {
          token: token.token,
          body: { module: 'file-threat-protection', items: [{ type: 'file', sha256 }] },
          timeoutMs: s.timeoutMs,
        }),
      );
      const check = res.status === 200 ? validLookup.validate(res.body) : undefined;
      const result = check?.ok ? check.value.results[0] : undefined;
      if (res.status === 403)
        add(
          'upstream via proxy',
          'warn',
          `${httpError('lookup', res).message} (this device's policy turns cloud lookups off)`,
        );
      else if (res.status !== 200) add('upstream via proxy', 'fail', httpError('lookup', res).message);
      else if (!result)
        add('upstream via proxy', 'fail', 'the proxy answered the lookup with an unexpected body');
      else if (result.source === 'upstream')
        add(
          'upstream via proxy',
          'ok',
          `a lookup the proxy could not answer from its cache went upstream and back in ${ms} ms`,
        );
      else
        add(
          'upstream via proxy',
          'warn',
          `a new object was answered from "${result.source}", not the upstream`,
        );
    } catch (e) {
      add('upstream via proxy', 'fail', message(e));
    }
  }

  // 5. Token renewal: only when due (renewing replaces the stored token).
  if (!tokenAccepted || !token) add('token renewal', 'skip', 'needs an accepted token');
  else if (!renewalDue(token, io.now())) add('token renewal', 'ok', 'not due yet');
  else {
    const r = await renew(s, io, token).catch((e: unknown) => ({
      outcome: 'failed' as const,
      message: message(e),
    }));
    if (r.outcome === 'renewed') add('token renewal', 'ok', 'renewed through the proxy');
    else if (r.outcome === 'unsupported')
      add('token renewal', 'warn', r.message ?? 'not offered by this proxy');
    else add('token renewal', 'fail', r.message ?? 'failed');
  }

  const failed = checks.some((c) => c.status === 'fail');
  if (s.json) json(io, { ok: !failed, proxyUrl: s.proxyUrl, checks });
  else {
    table(
      io,
      checks.map((c) => [c.status.toUpperCase(), c.name, c.detail]),
    );
    io.out('');
    io.out(failed ? 'Some checks failed.' : 'All checks passed.');
  }
  return failed ? 2 : 0;
}
