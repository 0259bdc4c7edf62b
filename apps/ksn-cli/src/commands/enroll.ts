import { compile, TokenResponse } from '@ksn/contracts';
import { hostname } from 'node:os';
import type { Settings } from '../config';
import { CliError } from '../errors';
import { httpError, requestJson } from '../http';
import type { Io } from '../io';
import { json } from '../output';
import { writeToken, type StoredToken } from '../token-store';

const validToken = compile(TokenResponse);

/** `ksn enroll`: trades an enrolment token for a device token at security-center and stores it (0600). */
export async function enroll(s: Settings, io: Io): Promise<number> {
  if (s.positionals.length > 0)
    throw new CliError('usage', `enroll takes no arguments, got "${s.positionals[0]}"`);
  if (!s.enrolmentToken)
    throw new CliError(
      'usage',
      'enroll needs an enrolment token: --enrolment-token TOKEN or KSN_ENROLMENT_TOKEN (created in the console)',
    );
  const deviceName = (s.deviceName ?? hostname()).trim();
  if (deviceName === '' || deviceName.length > 200)
    throw new CliError('usage', '--name must be 1 to 200 characters');
  const url = `${s.securityCenterUrl}/api/v1/enrol`;
  const res = await requestJson('POST', url, {
    body: { enrolmentToken: s.enrolmentToken, deviceName },
    timeoutMs: s.timeoutMs,
  });
  if (res.status !== 201 && res.status !== 200) throw httpError(`enrolment at ${s.securityCenterUrl}`, res);
  const check = validToken.validate(res.body);
  if (!check.ok)
    throw new CliError(
      'bad_response',
      `enrolment: unexpected answer from ${url} (${check.field || 'body'} ${check.message})`,
    );
  const stored: StoredToken = {
    ...check.value,
    obtainedAt: new Date(io.now()).toISOString(),
    securityCenterUrl: s.securityCenterUrl,
  };
  writeToken(s.tokenFile, stored);
  if (s.json)
    json(io, {
      deviceId: stored.deviceId,
      groupId: stored.groupId,
      expiresAt: stored.expiresAt,
      tokenFile: s.tokenFile,
    });
  else {
    io.out(`Enrolled "${deviceName}" as device ${stored.deviceId} (group ${stored.groupId}).`);
    io.out(
      `Token saved to ${s.tokenFile} (mode 0600), valid until ${stored.expiresAt}; ksn renews it through the proxy before then.`,
    );
  }
  return 0;
}
