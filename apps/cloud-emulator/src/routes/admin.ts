import { compile, Verdict, type VerdictChange } from '@ksn/contracts';
import { HttpError, readJson } from '@ksn/service-kit';
import { Type } from '@sinclair/typebox';
import type { IncomingMessage } from 'node:http';
import { CATEGORY_PATHS } from '../corpus/categories';
import { reputation } from '../corpus/reputation';
import { validFaultPatch, type FaultSettings } from '../faults';
import { normaliseKey } from '../keys';
import { invalidRequest } from '../reply';
import type { EmulatorState } from '../state';
import type { TelemetryRecord } from '../telemetry';

const ADMIN_MAX_BYTES = 64 * 1024;

const SetVerdict = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 4200 }),
    verdict: Verdict,
    category: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
const validSetVerdict = compile(SetVerdict);

export interface SetVerdictResult {
  key: string;
  verdict: Verdict;
  category?: string;
  previous: Verdict;
  /** The change-feed entry, or null when clients see no change. */
  change: VerdictChange | null;
}

/** `GET|POST /admin/faults`: the knobs in force; POST merges a partial update into them. */
export async function faults(state: EmulatorState, req: IncomingMessage): Promise<FaultSettings> {
  if (req.method !== 'POST') return state.faults.current;
  const parsed = validFaultPatch.validate(await readJson(req, ADMIN_MAX_BYTES));
  if (!parsed.ok) throw invalidRequest(parsed);
  return state.faults.update(parsed.value);
}

/**
 * Sets a verdict by hand (`{key, verdict, category?}`), keeping the object's
 * vendor and certificate; the category stays unless given. A change clients
 * would see is published in the change feed.
 */
export function setVerdict(state: EmulatorState, body: unknown): SetVerdictResult {
  const parsed = validSetVerdict.validate(body);
  if (!parsed.ok) throw invalidRequest(parsed);
  const { verdict, category } = parsed.value;
  const key = normaliseKey(parsed.value.key);
  if (!key) throw new HttpError('invalid_request', 'key must be a sha256:, sha1:, md5: or url: key', 'key');
  if (category !== undefined && !CATEGORY_PATHS.has(category)) {
    throw new HttpError('invalid_request', 'category is not a path of the category tree', 'category');
  }
  const previous = state.book.current(key);
  const next = reputation(verdict, { ...previous, category: category ?? previous.category });
  const change = state.book.set(key, next, 'manual');
  return {
    key,
    verdict,
    ...(next.category !== undefined && { category: next.category }),
    previous: previous.verdict,
    change: change ?? null,
  };
}

export async function readSetVerdict(req: IncomingMessage): Promise<unknown> {
  return readJson(req, ADMIN_MAX_BYTES);
}

/** `GET /admin/asked?key=`: how many times the key was asked in lookups (the key may be in any case). */
export function asked(state: EmulatorState, query: URLSearchParams): { key: string; count: number } {
  const raw = query.get('key');
  if (!raw) throw new HttpError('invalid_request', 'key is required', 'key');
  const key = normaliseKey(raw) ?? raw;
  return { key, count: state.askedCount(key) };
}

/** `GET /admin/telemetry?limit=n` (default 100): the last uploads with their headers, oldest first. */
export function telemetry(state: EmulatorState, query: URLSearchParams): { records: TelemetryRecord[] } {
  const raw = query.get('limit') ?? '100';
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new HttpError('invalid_request', 'limit must be a positive whole number', 'limit');
  }
  return { records: state.telemetry.last(Number(raw)) };
}
