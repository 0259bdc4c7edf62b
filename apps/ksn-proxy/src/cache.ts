import type { Verdict } from '@ksn/contracts';
import { LRUCache } from 'lru-cache';

/** What the proxy remembers about an object. */
export interface CachedVerdict {
  verdict: Verdict;
  category: string | undefined;
  vendor: string | undefined;
  certificate: string | undefined;
  /** Epoch ms after which the entry is stale (served only while the upstream fails). */
  freshUntil: number;
  /** Bytes the upstream exchange for this object cost: what a cache hit saves. */
  wireBytes: number;
}

export type TtlByVerdict = Record<Verdict, number>;

export interface CacheOptions {
  maxEntries: number;
  maxBytes: number;
  /** Seconds, per verdict. */
  ttl: TtlByVerdict;
  /** Seconds an expired entry is kept for stale-if-error. */
  staleWindow: number;
  onEvict?: () => void;
}

/**
 * Verdict cache: lru-cache bounded by entries and by estimated bytes. Freshness
 * is ours (`freshUntil`); lru-cache's own TTL is freshness plus the stale window,
 * after which an entry is dropped when read (no timers: no ttlAutopurge).
 */
export class VerdictCache {
  private readonly lru: LRUCache<string, CachedVerdict>;

  constructor(private readonly opts: CacheOptions) {
    this.lru = new LRUCache<string, CachedVerdict>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      // Key, strings and object overhead, roughly.
      sizeCalculation: (v, k) => 96 + k.length + (v.category?.length ?? 0) + (v.vendor?.length ?? 0) + (v.certificate?.length ?? 0),
      ttlResolution: 1000,
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') opts.onEvict?.();
      },
    });
  }

  get size(): number {
    return this.lru.size;
  }

  /** The entry, fresh or stale, or undefined. */
  get(key: string): CachedVerdict | undefined {
    return this.lru.get(key);
  }

  set(key: string, value: Omit<CachedVerdict, 'freshUntil'>, now = Date.now(), upstreamTtl?: number): CachedVerdict {
    let ttl = this.opts.ttl[value.verdict];
    if (upstreamTtl !== undefined && upstreamTtl < ttl) ttl = upstreamTtl;
    const entry: CachedVerdict = { ...value, freshUntil: now + ttl * 1000 };
    this.lru.set(key, entry, { ttl: (ttl + this.opts.staleWindow) * 1000, start: now });
    return entry;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Seconds an entry stays fresh from now (what endpoints are told). */
  static remaining(entry: CachedVerdict, now = Date.now()): number {
    return Math.max(0, Math.ceil((entry.freshUntil - now) / 1000));
  }
}
