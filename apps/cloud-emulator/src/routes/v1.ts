import {
  compile,
  hashKey,
  hashKind,
  UpstreamLookupRequest,
  type FileDetails,
  type UpstreamLookupResponse,
  type UpstreamVerdict,
  type Verdict,
} from '@ksn/contracts';
import { HttpError, readJson } from '@ksn/service-kit';
import type { IncomingMessage } from 'node:http';
import { ChangeFeed } from '../feed';
import { isNormalisedKey } from '../keys';
import { invalidRequest, json, type Reply } from '../reply';
import type { EmulatorState } from '../state';

const validLookup = compile(UpstreamLookupRequest);
/** 1000 keys of up to 4200 characters, and some JSON. */
const LOOKUP_MAX_BYTES = 5 * 1024 * 1024;
const MAX_WAIT_SECONDS = 60;
const MAX_IDEMPOTENCY_KEY = 256;

/**
 * `POST /v1/lookup`: `{keys}` → `{results}` in request order. Every key is
 * checked before any is counted, so a 400 leaves no trace in /admin/asked.
 */
export function lookup(state: EmulatorState, body: unknown): UpstreamLookupResponse {
  const parsed = validLookup.validate(body);
  if (!parsed.ok) throw invalidRequest(parsed);
  const keys = parsed.value.keys;
  for (let i = 0; i < keys.length; i++) {
    if (!isNormalisedKey(keys[i]!)) {
      throw new HttpError(
        'invalid_request',
        `keys[${i}] is not a normalised sha256:, sha1:, md5: or url: key`,
        `keys[${i}]`,
      );
    }
  }
  const ttl = state.settings.ttlSeconds;
  const byVerdict: Record<Verdict, number> = { clean: 0, malicious: 0, suspicious: 0, adware: 0, unknown: 0 };
  const results = new Array<UpstreamVerdict>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    state.countAsked(key);
    const r = state.book.current(key);
    state.urgent.noteAsked(key, r);
    byVerdict[r.verdict]++;
    // One object shape for every result; undefined fields are left out of the JSON.
    results[i] = {
      key,
      verdict: r.verdict,
      category: r.category,
      vendor: r.vendor,
      certificate: r.certificate,
      ttl: ttl[r.verdict],
    };
  }
  state.countLookups(byVerdict);
  return { results };
}

/** `GET /v1/files/{hash}/details`, hash by SHA-256, SHA-1 or MD5 in any case. */
export function details(state: EmulatorState, rawHash: string): FileDetails {
  let hash: string;
  try {
    hash = decodeURIComponent(rawHash);
  } catch {
    hash = rawHash;
  }
  const kind = hashKind(hash);
  if (!kind) throw new HttpError('invalid_request', 'hash must be a SHA-256, SHA-1 or MD5 in hex', 'hash');
  const key = hashKey(kind, hash);
  return state.corpus.details(key, state.book.current(key));
}

/** `GET /v1/categories`, serialised once at start. */
export function categories(state: EmulatorState): Reply {
  return { status: 200, raw: { text: state.categoriesJson, contentType: 'application/json; charset=utf-8' } };
}

/** `GET /v1/changes?since=<cursor>&wait=<seconds>`: long-poll of the change feed. */
export async function changes(
  state: EmulatorState,
  query: URLSearchParams,
  signal: AbortSignal,
): Promise<Reply> {
  const since = ChangeFeed.parseCursor(query.get('since'));
  if (since === undefined) {
    throw new HttpError('invalid_request', 'since must be a cursor from this feed', 'since');
  }
  const rawWait = query.get('wait') ?? '0';
  const wait = /^\d+(\.\d+)?$/.test(rawWait) ? Number(rawWait) : NaN;
  if (!(wait >= 0 && wait <= MAX_WAIT_SECONDS)) {
    throw new HttpError('invalid_request', `wait must be 0 to ${MAX_WAIT_SECONDS} seconds`, 'wait');
  }
  return json(await state.feed.wait(since, wait * 1000, signal));
}

/** `POST /v1/telemetry`: any JSON object or array, 202 `{accepted}`; an Idempotency-Key seen before is not counted again. */
export async function telemetry(state: EmulatorState, req: IncomingMessage): Promise<Reply> {
  const idem = req.headers['idempotency-key'];
  if (
    idem !== undefined &&
    (typeof idem !== 'string' || idem.length === 0 || idem.length > MAX_IDEMPOTENCY_KEY)
  ) {
    throw new HttpError(
      'invalid_request',
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`,
      'Idempotency-Key',
    );
  }
  const body = await readJson(req, state.settings.telemetryMaxBytes);
  if (typeof body !== 'object' || body === null) {
    throw new HttpError('invalid_request', 'body must be a JSON object or array');
  }
  const outcome = state.telemetry.accept(req.headers, body, idem);
  state.metrics.telemetryRecords.inc(
    { outcome: outcome.duplicate ? 'duplicate' : 'accepted' },
    outcome.accepted,
  );
  return json(outcome, 202);
}

export async function readLookup(req: IncomingMessage): Promise<unknown> {
  return readJson(req, LOOKUP_MAX_BYTES);
}
