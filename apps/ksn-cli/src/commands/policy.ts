import { compile, PolicySettings } from '@ksn/contracts';
import type { Settings } from '../config';
import { CliError } from '../errors';
import { httpError, requestJson } from '../http';
import type { Io } from '../io';
import { json } from '../output';
import { currentToken } from '../session';

export interface PolicyAnswer {
  deviceId: string;
  groupId: string;
  snapshotVersion: number;
  policy: PolicySettings;
}

const validPolicy = compile(PolicySettings);

function isPolicyAnswer(v: unknown): v is PolicyAnswer {
  const o = v as Partial<PolicyAnswer> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.deviceId === 'string' &&
    typeof o.groupId === 'string' &&
    typeof o.snapshotVersion === 'number' &&
    validPolicy.check(o.policy)
  );
}

export async function fetchPolicy(s: Settings, token: string): Promise<PolicyAnswer> {
  const res = await requestJson('GET', `${s.proxyUrl}/v1/policy`, { token, timeoutMs: s.timeoutMs });
  if (res.status !== 200) throw httpError(`policy at ${s.proxyUrl}`, res);
  if (!isPolicyAnswer(res.body))
    throw new CliError('bad_response', `policy: unexpected answer from ${s.proxyUrl}`);
  return res.body;
}

/** `ksn policy`: the device's effective policy as the proxy enforces it. */
export async function policy(s: Settings, io: Io): Promise<number> {
  if (s.positionals.length > 0)
    throw new CliError('usage', `policy takes no arguments, got "${s.positionals[0]}"`);
  const answer = await fetchPolicy(s, await currentToken(s, io));
  if (s.json) {
    json(io, answer);
    return 0;
  }
  const p = answer.policy;
  io.out(`Device ${answer.deviceId}, group ${answer.groupId}, policy snapshot ${answer.snapshotVersion}`);
  io.out('');
  io.out('Cloud lookups by module:');
  for (const [module, on] of Object.entries(p.cloud.modules)) io.out(`  ${on ? 'on ' : 'off'}  ${module}`);
  io.out('');
  io.out(`KSN participation: ${p.ksn.participation}`);
  const sending = Object.entries(p.ksn.sending).map(([kind, on]) => `${kind} ${on ? 'on' : 'off'}`);
  io.out(`Sending: ${sending.join(', ')}`);
  io.out('');
  const ac = p.appControl;
  io.out(
    `Application control: ${ac.mode}${ac.testMode ? ' (test mode: would-block is audited)' : ''}, ${ac.rules.length} rule(s)`,
  );
  return 0;
}
