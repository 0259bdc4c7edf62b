import { compile, TokenResponse } from '@ksn/contracts';
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError } from './errors';

/** The device token as kept on disk: security-center's TokenResponse plus when we got it. */
export interface StoredToken extends TokenResponse {
  obtainedAt: string;
  securityCenterUrl?: string;
}

const validToken = compile(TokenResponse);

export function readToken(file: string): StoredToken | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('token_file', `cannot read the token file ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('token_file', `the token file ${file} is not JSON: enrol again (ksn enroll)`);
  }
  const check = validToken.validate(parsed);
  if (!check.ok)
    throw new CliError(
      'token_file',
      `the token file ${file} is invalid (${check.field || 'body'} ${check.message}): enrol again (ksn enroll)`,
    );
  const obtainedAt = (parsed as { obtainedAt?: unknown }).obtainedAt;
  const securityCenterUrl = (parsed as { securityCenterUrl?: unknown }).securityCenterUrl;
  return {
    ...check.value,
    obtainedAt: typeof obtainedAt === 'string' ? obtainedAt : check.value.expiresAt,
    ...(typeof securityCenterUrl === 'string' ? { securityCenterUrl } : {}),
  };
}

/** Writes the token atomically, readable by its owner only (directory 0700, file 0600). */
export function writeToken(file: string, token: StoredToken): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(token, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (e) {
    throw new CliError('token_file', `cannot write the token file ${file}: ${(e as Error).message}`);
  }
}

/** Permission bits of the token file, to warn when others may read it. */
export function tokenFileMode(file: string): number | undefined {
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}
