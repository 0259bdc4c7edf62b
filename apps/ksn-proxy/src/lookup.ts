import {
  compile,
  hashKey,
  hashKind,
  LookupRequest,
  MAX_LOOKUP_ITEMS,
  MODULE_IDS,
  urlKey,
  type LookupItem,
  type LookupResult,
  type ModuleId,
  type HeartbeatCounters,
  type UpstreamVerdict,
} from '@ksn/contracts';
import { cloudAllowed, decide, type ObjectFacts } from '@ksn/policy-engine';
import { flatAscii, HttpError } from '@ksn/service-kit';
import { packSha256, Sha256Reader, VerdictCache, type CachedVerdict } from './cache';
import type { Caller } from './device-auth';
import { overloaded, quotaExhausted } from './errors';
import type { Insights } from './insights';
import type { ProxyMetrics } from './metrics';
import type { PolicyIndex } from './policy-store';
import { UpstreamError, type Upstream } from './upstream';

const validLookup = compile(LookupRequest);

export interface LookupDeps {
  cache: VerdictCache;
  upstream: Upstream;
  metrics: ProxyMetrics;
  counters: HeartbeatCounters;
  insights: Insights;
  /** Most distinct keys waiting on the upstream before lookups get a fast 503. */
  maxPendingKeys: number;
  /** Seconds an `unknown` answer may be reused (private mode answers). */
  unknownTtl: number;
}

/** The key of one requested item, or a 400 naming the field. Runs per item: nothing is built on the way to a key. */
export function itemKey(item: LookupItem, index: number): string {
  if (item.type === 'url') {
    if (
      item.url === undefined ||
      item.sha256 !== undefined ||
      item.sha1 !== undefined ||
      item.md5 !== undefined
    ) {
      throw new HttpError(
        'invalid_request',
        `items[${index}]: a url item carries exactly the field url`,
        `items[${index}].url`,
      );
    }
    const key = urlKey(item.url);
    if (key === undefined)
      throw new HttpError(
        'invalid_request',
        `items[${index}].url is not an absolute http(s) URL`,
        `items[${index}].url`,
      );
    return key;
  }
  const given =
    (item.sha256 !== undefined ? 1 : 0) +
    (item.sha1 !== undefined ? 1 : 0) +
    (item.md5 !== undefined ? 1 : 0);
  if (given !== 1 || item.url !== undefined) {
    throw new HttpError(
      'invalid_request',
      `items[${index}]: a file item carries exactly one of sha256, sha1, md5`,
      `items[${index}]`,
    );
  }
  if (item.sha256 !== undefined) return hashKey('sha256', item.sha256);
  return item.sha1 !== undefined ? hashKey('sha1', item.sha1) : hashKey('md5', item.md5!);
}

/** A validated lookup: the module and every item's key, in order (and packed, when known). */
export interface ParsedLookup {
  module: ModuleId;
  keys: string[];
  /** `packKey` of each key, when validation made them on the way (`compactFileLookup`). */
  packed?: string[];
}

/** Any lookup body (parsed JSON), by the contract's schema and `itemKey`; a 400 with field and message. */
export function parseLookup(body: unknown): ParsedLookup {
  const parsed = validLookup.validate(body);
  if (!parsed.ok)
    throw new HttpError('invalid_request', `${parsed.field || 'body'} ${parsed.message}`, parsed.field);
  return { module: parsed.value.module, keys: parsed.value.items.map(itemKey) };
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const MODULE_OPEN = ascii('{"module":"');
const ITEMS_OPEN = ascii('","items":[');
const FILE_ITEM_OPEN = ascii('{"type":"file","sha256":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether `bytes[at…]` starts with `literal`. */
function startsWithAt(bytes: Uint8Array, at: number, literal: Uint8Array): boolean {
  if (at + literal.length > bytes.length) return false;
  for (let i = 0; i < literal.length; i++) if (bytes[at + i] !== literal[i]) return false;
  return true;
}

const MODULES: ReadonlySet<string> = new Set(MODULE_IDS);
const digests = new Sha256Reader(MAX_LOOKUP_ITEMS);

/**
 * The body endpoints send for files, read from its bytes without JSON.parse: exactly
 * `{"module":"<id>","items":[{"type":"file","sha256":"<64 hex>"},…]}` as JSON.stringify
 * writes it (no whitespace, these keys in this order, 1 to MAX_LOOKUP_ITEMS items). Each
 * digest is validated by packing it for the cache (`Sha256Reader`), and the cache is read by
 * that pack. Undefined for any other body, which then takes JSON.parse and `parseLookup`
 * (and its errors): the bytes this accepts are a JSON text that `parseLookup` accepts, with
 * the same module and keys (lookup.spec). A batch of 100 spent half its time parsing the
 * body into objects and strings and reading the digests' text (tools/bench/analysis.md).
 */
export function compactFileLookup(bytes: Buffer): ParsedLookup | undefined {
  if (!startsWithAt(bytes, 0, MODULE_OPEN)) return undefined;
  let at = MODULE_OPEN.length;
  const moduleStart = at;
  // Module ids are plain ASCII: a quote ends one, a backslash (an escape) leaves the body to JSON.parse.
  while (at < bytes.length && bytes[at] !== QUOTE && bytes[at] !== BACKSLASH) at++;
  if (!startsWithAt(bytes, at, ITEMS_OPEN)) return undefined;
  const module = bytes.toString('latin1', moduleStart, at);
  if (!MODULES.has(module)) return undefined;
  at += ITEMS_OPEN.length;
  digests.reset();
  for (;;) {
    if (!startsWithAt(bytes, at, FILE_ITEM_OPEN)) return undefined;
    at += FILE_ITEM_OPEN.length;
    // `read` refuses a digest past MAX_LOOKUP_ITEMS.
    if (bytes[at + 64] !== QUOTE || bytes[at + 65] !== CLOSE_BRACE || !digests.read(bytes, at))
      return undefined;
    at += 66;
    if (bytes[at] === COMMA) at++;
    else if (bytes[at] === CLOSE_BRACKET && bytes[at + 1] === CLOSE_BRACE && at + 2 === bytes.length)
      return { module: module as ModuleId, ...digests.take() };
    else return undefined;
  }
}

/**
 * Answers a lookup: module toggle → per key: override, fresh cache entry, or
 * the upstream (coalesced and batched); stale entries only when the upstream fails.
 * When no key needs the upstream (the hit path) the answer is returned at once,
 * not as a promise: a cached lookup costs no microtask turn.
 */
export function lookup(
  deps: LookupDeps,
  caller: Caller,
  index: PolicyIndex,
  module: ModuleId,
  keys: string[],
  packed?: string[],
): LookupResult[] | Promise<LookupResult[]> {
  if (!cloudAllowed(caller.policy, module)) {
    throw new HttpError(
      'cloud_disabled_for_module',
      `cloud lookups are off for ${module} in this device's policy`,
    );
  }
  const now = Date.now();
  const results = new Array<LookupResult>(keys.length);
  const misses: number[] = [];
  let bytesSaved = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const override = index.override(key, now);
    const entry = deps.cache.get(key, now, packed?.[i]);
    if (override !== undefined) {
      results[i] = answer(
        key,
        entry,
        caller,
        override,
        'override',
        entry ? VerdictCache.remaining(entry, now) : 0,
      );
    } else if (entry !== undefined && entry.freshUntil > now) {
      results[i] = answer(key, entry, caller, undefined, 'cache', VerdictCache.remaining(entry, now));
      deps.counters.cacheHits++;
      bytesSaved += entry.wireBytes;
    } else {
      misses.push(i);
    }
  }
  if (bytesSaved > 0) {
    deps.counters.bytesSaved += bytesSaved;
    deps.metrics.bytesSaved.inc(bytesSaved);
  }
  if (misses.length > 0 && deps.upstream.enabled) {
    return resolveMisses(deps, caller, keys, misses, results).then(() =>
      answered(deps, caller, module, results, now, packed),
    );
  }
  if (misses.length > 0) answerPrivately(deps, caller, keys, misses, results);
  return answered(deps, caller, module, results, now, packed);
}

/** Counts a complete answer (lookups, items by source and verdict, unknowns, rule hits) and returns it. */
function answered(
  deps: LookupDeps,
  caller: Caller,
  module: ModuleId,
  results: LookupResult[],
  now: number,
  packed: string[] | undefined,
): LookupResult[] {
  deps.counters.lookups += results.length;
  // Items counted by runs of the same source and verdict (a batch of hits is mostly one run),
  // so the metric's child is found once per run rather than once per item.
  let run = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    run++;
    const next = results[i + 1];
    if (next === undefined || next.source !== r.source || next.verdict !== r.verdict) {
      deps.metrics.lookupItems.child(module, r.source, r.verdict).inc(run);
      run = 0;
    }
    if (r.verdict === 'unknown') deps.insights.unknownAnswered(r.key, caller.deviceId, now, packed?.[i]);
    if (r.reason !== undefined && r.reason.startsWith('rule:'))
      deps.insights.ruleHit(caller.groupId, r.reason.slice(5));
  }
  return results;
}

/** Private mode (no upstream): a stale entry if there is one, else `unknown`; nothing is asked. */
function answerPrivately(
  deps: LookupDeps,
  caller: Caller,
  keys: string[],
  misses: number[],
  results: LookupResult[],
): void {
  for (const i of misses) {
    const key = keys[i]!;
    const stale = deps.cache.get(key);
    if (stale !== undefined) {
      results[i] = answer(key, stale, caller, undefined, 'stale', 0);
      deps.counters.staleAnswers++;
    } else {
      const result = answer(key, undefined, caller, undefined, 'cache', deps.unknownTtl);
      result.reason ??= 'private-mode';
      results[i] = result;
    }
  }
}

async function resolveMisses(
  deps: LookupDeps,
  caller: Caller,
  keys: string[],
  misses: number[],
  results: LookupResult[],
): Promise<void> {
  // Admission control: new upstream questions beyond the cap get a fast 503 (coalesced ones cost nothing).
  let fresh = 0;
  for (const i of misses) if (!deps.upstream.isPending(keys[i]!)) fresh++;
  if (fresh > 0 && deps.upstream.pendingKeys + fresh > deps.maxPendingKeys) throw overloaded();
  const settled = await Promise.allSettled(misses.map((i) => deps.upstream.lookup(keys[i]!)));
  let failure: UpstreamError | undefined;
  settled.forEach((s, j) => {
    const i = misses[j]!;
    const key = keys[i]!;
    if (s.status === 'fulfilled') {
      const entry = deps.cache.set(key, fromUpstream(s.value), Date.now(), s.value.ttl);
      results[i] = answer(key, entry, caller, undefined, 'upstream', VerdictCache.remaining(entry));
      return;
    }
    const stale = deps.cache.get(key);
    if (stale !== undefined) {
      results[i] = answer(key, stale, caller, undefined, 'stale', 0);
      deps.counters.staleAnswers++;
    } else {
      failure = s.reason instanceof UpstreamError ? s.reason : new UpstreamError('error', String(s.reason));
    }
  });
  if (failure) {
    deps.counters.upstreamErrors++;
    switch (failure.kind) {
      case 'timeout':
        throw new HttpError(
          'upstream_timeout',
          'the upstream cloud did not answer in time and nothing is cached',
        );
      case 'quota':
        throw quotaExhausted(deps.upstream.quota.waitSeconds());
      case 'open':
        throw new HttpError(
          'upstream_error',
          'the upstream cloud is failing (circuit open) and nothing is cached',
          undefined,
          { 'retry-after': '5' },
        );
      case 'error':
        throw new HttpError('upstream_error', 'the upstream cloud failed and nothing is cached');
    }
  }
}

function fromUpstream(v: UpstreamVerdict): Omit<CachedVerdict, 'freshUntil'> {
  // Roughly what asking for this key cost on the wire: the key in the request, the result in the answer.
  const wireBytes =
    v.key.length +
    3 +
    40 +
    v.verdict.length +
    (v.category?.length ?? 0) +
    (v.vendor?.length ?? 0) +
    (v.certificate?.length ?? 0);
  return {
    verdict: v.verdict,
    category: v.category,
    vendor: v.vendor,
    certificate: v.certificate,
    wireBytes,
  };
}

function answer(
  key: string,
  entry: CachedVerdict | undefined,
  caller: Caller,
  override: 'allow' | 'block' | undefined,
  source: LookupResult['source'],
  ttl: number,
): LookupResult {
  const facts: ObjectFacts = {
    key,
    verdict: entry?.verdict ?? 'unknown',
    category: entry?.category,
    vendor: entry?.vendor,
    certificate: entry?.certificate,
    sha256: key.startsWith('sha256:') ? key.slice(7) : undefined,
  };
  const { decision, reason } = decide(facts, caller.policy, override, !key.startsWith('url:'));
  const result: LookupResult = { key, verdict: facts.verdict, decision, source, ttl };
  if (facts.category !== undefined) result.category = facts.category;
  if (reason !== 'verdict' && reason !== 'default-allow') result.reason = reason;
  return result;
}

/**
 * GET /v1/files/{hash}: one file by SHA-256, SHA-1 or MD5, as `lookup`'s keys. A SHA-256 is
 * validated by packing it, as `compactFileLookup` does, and the cache is read by that pack.
 */
export function fileKeys(hash: string): { keys: string[]; packed?: string[] } {
  const packed = packSha256(hash);
  if (packed !== undefined) return { keys: [hashKey('sha256', hash)], packed: [packed] };
  const kind = hashKind(hash);
  if (!kind) throw new HttpError('invalid_request', 'hash must be a SHA-256, SHA-1 or MD5 in hex', 'hash');
  return { keys: [hashKey(kind, hash)] };
}

/** A string that JSON writes as it is, between quotes (no escape needed). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NON_ASCII = /[\u0080-\uffff]/g;

/**
 * `JSON.stringify(value)` with every character past ASCII written as a `\u` escape: the same
 * JSON value, in text whose length is its size in bytes, so the answer's Content-Length needs
 * no UTF-8 pass over it and it is written to the socket as Latin-1 (fast-lane.ts). Lookup
 * answers are written this way; only an upstream category or a URL outside ASCII needs it.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    NON_ASCII,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const jsonString = (s: string) => (PLAIN.test(s) ? `"${s}"` : asciiJson(s));

/**
 * `,"category":"…"` by category: there are few, and the cache keeps each once (interned), so
 * the map finds them by a hash computed once. Cleared when full, never unbounded.
 */
const categoryJson = new Map<string, string>();
const CATEGORY_JSON_MAX = 4096;
function jsonCategory(category: string): string {
  let text = categoryJson.get(category);
  if (text === undefined) {
    if (categoryJson.size >= CATEGORY_JSON_MAX) categoryJson.clear();
    text = flatAscii(`,"category":${jsonString(category)}`);
    categoryJson.set(category, text);
  }
  return text;
}

// A result's verdict, decision and source by their place in the contract's lists. A switch
// compares interned strings; a read of a record keyed by them (`VERDICT_INDEX[r.verdict]`)
// sees many names at one place and takes V8's slow (megamorphic) path, 2 % of a batch.
function verdictIndex(v: LookupResult['verdict']): number {
  switch (v) {
    case 'clean':
      return 0;
    case 'unknown':
      return 1;
    case 'malicious':
      return 2;
    case 'suspicious':
      return 3;
    case 'adware':
      return 4;
  }
}
function decisionIndex(d: LookupResult['decision']): number {
  switch (d) {
    case 'allow':
      return 0;
    case 'block':
      return 1;
    case 'audit':
      return 2;
  }
}
function sourceIndex(s: LookupResult['source']): number {
  switch (s) {
    case 'cache':
      return 0;
    case 'upstream':
      return 1;
    case 'override':
      return 2;
    case 'stale':
      return 3;
  }
}
/** `","verdict":"…","decision":"…","source":"…","ttl":` by verdict, decision and source, made once each. */
const middles: string[] = [];
function jsonMiddle(r: LookupResult): string {
  const i = (verdictIndex(r.verdict) << 4) | (decisionIndex(r.decision) << 2) | sourceIndex(r.source);
  let text = middles[i];
  if (text === undefined) {
    text = flatAscii(`","verdict":"${r.verdict}","decision":"${r.decision}","source":"${r.source}","ttl":`);
    middles[i] = text;
  }
  return text;
}

/**
 * A result's JSON between its opening `{"key":"` and its closing brace. `resultJson` and
 * `resultsJson` write `JSON.stringify`'s text (the same key order; characters past ASCII
 * escaped, `asciiJson`) in about half the time: the answer's serialisation was the largest
 * single cost of a cache hit after the socket write (tools/bench/analysis.md). Written from as
 * few pieces as it can be: text built by `+` is a tree of its pieces, which the socket write
 * flattens piece by piece (a result was about 15 pieces, now 4 to 6 with the text between two
 * results).
 */
function resultFields(r: LookupResult): string {
  // A hash key (`kind:hex`, validated on the way in) never needs escaping; a URL key may.
  const key = r.key.startsWith('url:') ? jsonString(r.key).slice(1, -1) : r.key;
  let text = key + jsonMiddle(r) + r.ttl;
  if (r.category !== undefined) text += jsonCategory(r.category);
  if (r.reason !== undefined) text += ',"reason":' + jsonString(r.reason);
  return text;
}

/** `asciiJson(result)` for a result as `answer` builds it. */
export function resultJson(r: LookupResult): string {
  return '{"key":"' + resultFields(r) + '}';
}

/** `asciiJson({ results })` for a lookup's answer. */
export function resultsJson(results: LookupResult[]): string {
  if (results.length === 0) return '{"results":[]}';
  let text = '{"results":[{"key":"' + resultFields(results[0]!);
  for (let i = 1; i < results.length; i++) text += '},{"key":"' + resultFields(results[i]!);
  return text + '}]}';
}
