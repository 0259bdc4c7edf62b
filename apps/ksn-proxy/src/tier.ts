import {
  compile,
  hashKind,
  UpstreamLookupRequest,
  urlKey,
  type HeartbeatCounters,
  type UpstreamVerdict,
} from '@ksn/contracts';
import { HttpError } from '@ksn/service-kit';
import { VerdictCache } from './cache';
import type { Caller } from './device-auth';
import { overloaded, quotaExhausted } from './errors';
import type { Upstream } from './upstream';

/**
 * Tiering (branch → central → cloud): a ksn-proxy speaks the upstream protocol
 * too. A `POST /v1/lookup` whose body is `{keys}` (not `{module, items}`),
 * from a branch proxy (its UPSTREAM_API_KEY is a device token of a group listed
 * in this proxy's TIER_CLIENT_GROUPS), is answered like the cloud answers:
 * `{results: [{key, verdict, category?, vendor?, certificate?, ttl}]}`, from
 * this proxy's cache or its upstream. Policy (overrides, app control, module
 * toggles) is the branch's business, not applied here: which is why only the
 * listed groups may use this protocol (and the relayed `GET /v1/changes`); any
 * other device would bypass its own group's per-module cloud toggles.
 */
const validKeys = compile(UpstreamLookupRequest);

/** TIER_CLIENT_GROUPS (`a,b,c`, already validated by config.ts) as a set. */
export function tierClientGroups(configured: string): ReadonlySet<string> {
  return new Set(configured.split(',').filter((id) => id !== ''));
}

/**
 * May this caller use the upstream protocol? Its current group (after moves)
 * must be listed in TIER_CLIENT_GROUPS (403 `forbidden` otherwise), and that
 * group's KSN participation must not be `off`.
 */
export function authorizeTierClient(caller: Caller, allowed: ReadonlySet<string>): void {
  if (!allowed.has(caller.groupId))
    throw new HttpError(
      'forbidden',
      "the upstream protocol ({keys} lookups, /v1/changes) is only for branch proxies in this proxy's TIER_CLIENT_GROUPS; this device's group is not listed",
    );
  if (caller.policy.ksn.participation === 'off')
    throw new HttpError('cloud_disabled_for_module', "KSN is off in the policy of this token's group");
}

export function isTierLookup(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'keys' in body && !('items' in body);
}

/** Is `key` exactly what keys.ts would produce (lower-case hash, normalised URL)? */
export function isNormalisedKey(key: string): boolean {
  const colon = key.indexOf(':');
  const prefix = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (prefix === 'url') return urlKey(rest) === key;
  return (
    (prefix === 'sha256' || prefix === 'sha1' || prefix === 'md5') &&
    hashKind(rest) === prefix &&
    rest === rest.toLowerCase()
  );
}

export function parseTierLookup(body: unknown): string[] {
  const parsed = validKeys.validate(body);
  if (!parsed.ok)
    throw new HttpError('invalid_request', `${parsed.field || 'body'} ${parsed.message}`, parsed.field);
  parsed.value.keys.forEach((k, i) => {
    if (!isNormalisedKey(k))
      throw new HttpError(
        'invalid_request',
        `keys[${i}] is not a normalised sha256:, sha1:, md5: or url: key`,
        `keys[${i}]`,
      );
  });
  return parsed.value.keys;
}

export async function tierLookup(
  deps: {
    cache: VerdictCache;
    upstream: Upstream;
    counters: HeartbeatCounters;
    /** Most distinct keys waiting on the upstream before lookups get a fast 503 (as lookup.ts). */
    maxPendingKeys: number;
  },
  keys: string[],
): Promise<UpstreamVerdict[]> {
  const now = Date.now();
  const results = new Array<UpstreamVerdict>(keys.length);
  const misses: number[] = [];
  keys.forEach((key, i) => {
    const entry = deps.cache.get(key);
    if (entry !== undefined && entry.freshUntil > now) {
      results[i] = verdictOf(key, entry, VerdictCache.remaining(entry, now));
      deps.counters.cacheHits++;
    } else misses.push(i);
  });
  if (misses.length > 0 && !deps.upstream.enabled) {
    for (const i of misses) results[i] = { key: keys[i]!, verdict: 'unknown', ttl: 0 };
  } else if (misses.length > 0) {
    // Admission control, as lookup.ts: new upstream questions beyond the cap get a fast 503 (coalesced ones cost nothing).
    let fresh = 0;
    for (const i of misses) if (!deps.upstream.isPending(keys[i]!)) fresh++;
    if (fresh > 0 && deps.upstream.pendingKeys + fresh > deps.maxPendingKeys) throw overloaded();
    const settled = await Promise.allSettled(misses.map((i) => deps.upstream.lookup(keys[i]!)));
    settled.forEach((s, j) => {
      const i = misses[j]!;
      const key = keys[i]!;
      if (s.status === 'fulfilled') {
        const v = s.value;
        const entry = deps.cache.set(
          key,
          {
            verdict: v.verdict,
            category: v.category,
            vendor: v.vendor,
            certificate: v.certificate,
            wireBytes: key.length + 60,
          },
          Date.now(),
          v.ttl,
        );
        results[i] = verdictOf(key, entry, VerdictCache.remaining(entry));
        return;
      }
      const stale = deps.cache.get(key);
      if (stale === undefined) {
        const kind = (s.reason as { kind?: string }).kind;
        if (kind === 'quota') throw quotaExhausted(deps.upstream.quota.waitSeconds());
        throw new HttpError(
          kind === 'timeout' ? 'upstream_timeout' : 'upstream_error',
          'the upstream failed and nothing is cached',
        );
      }
      deps.counters.staleAnswers++;
      results[i] = verdictOf(key, stale, 0);
    });
  }
  deps.counters.lookups += keys.length;
  return results;
}

function verdictOf(
  key: string,
  e: {
    verdict: UpstreamVerdict['verdict'];
    category: string | undefined;
    vendor: string | undefined;
    certificate: string | undefined;
  },
  ttl: number,
): UpstreamVerdict {
  const v: UpstreamVerdict = { key, verdict: e.verdict, ttl };
  if (e.category !== undefined) v.category = e.category;
  if (e.vendor !== undefined) v.vendor = e.vendor;
  if (e.certificate !== undefined) v.certificate = e.certificate;
  return v;
}
