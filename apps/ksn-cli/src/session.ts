import { compile, TokenResponse } from '@ksn/contracts';
import type { Settings } from './config';
import { CliError } from './errors';
import { httpError, requestJson } from './http';
import type { Io } from './io';
import { readToken, writeToken, type StoredToken } from './token-store';

const validToken = compile(TokenResponse);

export type RenewOutcome = 'renewed' | 'not_due' | 'unsupported' | 'failed';

/** A token is due for renewal once a third of its lifetime (or less than an hour) is left. */
export function renewalDue(token: StoredToken, now: number): boolean {
  const expires = Date.parse(token.expiresAt);
  const obtained = Date.parse(token.obtainedAt);
  const lifetime = Number.isFinite(obtained) && expires > obtained ? expires - obtained : 0;
  const left = expires - now;
  return left < Math.max(lifetime / 3, 0) || left < 3_600_000;
}

/** The stored token, or a clear "not enrolled". */
export function requireToken(s: Settings): StoredToken {
  const token = readToken(s.tokenFile);
  if (!token)
    throw new CliError(
      'not_enrolled',
      `no device token at ${s.tokenFile}: enrol first (ksn enroll --enrolment-token …)`,
    );
  return token;
}

/**
 * Asks the proxy for a fresh token (`POST /v1/token/refresh`) and stores it. A proxy
 * without that route (404/405) is "unsupported": the current token is kept.
 */
export async function renew(
  s: Settings,
  io: Io,
  token: StoredToken,
): Promise<{ outcome: RenewOutcome; token: StoredToken; message?: string }> {
  const res = await requestJson('POST', `${s.proxyUrl}/v1/token/refresh`, {
    token: token.token,
    body: { token: token.token },
    timeoutMs: s.timeoutMs,
  });
  if (res.status === 404 || res.status === 405)
    return { outcome: 'unsupported', token, message: 'this proxy does not offer /v1/token/refresh' };
  if (res.status !== 200 && res.status !== 201)
    return { outcome: 'failed', token, message: httpError('token refresh', res).message };
  const check = validToken.validate(res.body);
  if (!check.ok)
    return {
      outcome: 'failed',
      token,
      message: `token refresh: unexpected answer (${check.field || 'body'} ${check.message})`,
    };
  const fresh: StoredToken = {
    ...check.value,
    obtainedAt: new Date(io.now()).toISOString(),
    ...(token.securityCenterUrl ? { securityCenterUrl: token.securityCenterUrl } : {}),
  };
  writeToken(s.tokenFile, fresh);
  return { outcome: 'renewed', token: fresh };
}

/** The token to use now: renewed first when due (a failed renewal is reported, not fatal while the token lasts). */
export async function currentToken(s: Settings, io: Io): Promise<string> {
  const token = requireToken(s);
  if (!renewalDue(token, io.now())) return token.token;
  const r = await renew(s, io, token).catch((e: unknown) => ({
    outcome: 'failed' as const,
    token,
    message: (e as Error).message,
  }));
  if (r.outcome === 'failed' && !s.json)
    io.err(`ksn: warning: could not renew the device token (${r.message ?? 'unknown error'})`);
  if (Date.parse(r.token.expiresAt) <= io.now()) {
    throw new CliError(
      'not_enrolled',
      `the device token expired at ${r.token.expiresAt} and could not be renewed: enrol again (ksn enroll)`,
    );
  }
  return r.token.token;
}
