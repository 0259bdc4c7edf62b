import { compile, LookupResponse, MODULE_IDS, type LookupResult, type ModuleId } from '@ksn/contracts';
import type { Settings } from '../config';
import { CliError } from '../errors';
import { httpError, requestJson } from '../http';
import { resolveInputs, type Input } from '../inputs';
import type { Io } from '../io';
import { json, table } from '../output';
import { currentToken } from '../session';

const validResponse = compile(LookupResponse);

export interface LookupLine extends LookupResult {
  input: string;
  module: ModuleId;
}

function moduleFor(s: Settings, input: Input): ModuleId {
  if (s.module !== undefined) return s.module as ModuleId;
  return input.kind === 'url' ? 'web-threat-protection' : 'file-threat-protection';
}

/**
 * `ksn lookup`: hashes files here, asks the proxy in batches (one module per request),
 * prints verdict and decision per object. Exit 1 when any object is blocked.
 */
export async function lookup(s: Settings, io: Io): Promise<number> {
  if (s.module !== undefined && !(MODULE_IDS as readonly string[]).includes(s.module)) {
    throw new CliError('usage', `--module must be one of ${MODULE_IDS.join(', ')}; got "${s.module}"`);
  }
  const inputs = await resolveInputs(s.positionals, io.cwd);
  const token = await currentToken(s, io);
  const batchSize = s.batchSize ?? 500;

  // Group by module, keeping each input's position so output follows the command line.
  const byModule = new Map<ModuleId, { index: number; input: Input }[]>();
  inputs.forEach((input, index) => {
    const m = moduleFor(s, input);
    const list = byModule.get(m) ?? [];
    list.push({ index, input });
    byModule.set(m, list);
  });

  const lines: LookupLine[] = new Array<LookupLine>(inputs.length);
  for (const [module, list] of byModule) {
    for (let i = 0; i < list.length; i += batchSize) {
      const batch = list.slice(i, i + batchSize);
      const res = await requestJson('POST', `${s.proxyUrl}/v1/lookup`, {
        token,
        body: { module, items: batch.map((b) => b.input.item) },
        timeoutMs: s.timeoutMs,
      });
      if (res.status !== 200) throw httpError(`lookup at ${s.proxyUrl}`, res);
      const check = validResponse.validate(res.body);
      if (!check.ok || check.value.results.length !== batch.length) {
        throw new CliError(
          'bad_response',
          `lookup: unexpected answer from ${s.proxyUrl} (${check.ok ? 'wrong number of results' : `${check.field || 'body'} ${check.message}`})`,
        );
      }
      check.value.results.forEach(
        (r, j) => (lines[batch[j]!.index] = { input: batch[j]!.input.input, module, ...r }),
      );
    }
  }

  const blocked = lines.some((l) => l.decision === 'block');
  if (s.json) json(io, { results: lines, blocked });
  else {
    table(io, [
      ['DECISION', 'VERDICT', 'SOURCE', 'OBJECT', 'CATEGORY'],
      ...lines.map((l) => [
        l.decision.toUpperCase(),
        l.verdict,
        l.source,
        l.input,
        [l.category, l.reason ? `(${l.reason})` : undefined].filter(Boolean).join(' '),
      ]),
    ]);
  }
  return blocked ? 1 : 0;
}
