import type { Verdict } from '@ksn/contracts';
import { randomBytes } from 'node:crypto';
import { hashString } from './admission';
import { keyHash, packKey, unpackKey, VerdictCache, type CacheOptions } from './cache';

const ttl = { clean: 86400, malicious: 86400, suspicious: 3600, adware: 3600, unknown: 300 };
const options = (o: Partial<CacheOptions> = {}): CacheOptions => ({
  maxEntries: 1000,
  maxBytes: 1 << 30,
  ttl,
  staleWindow: 3600,
  ...o,
});
const value = (verdict: Verdict = 'clean') => ({
  verdict,
  category: 'Golden Image/OS Components',
  vendor: 'Microsoft Corporation',
  certificate: undefined,
  wireBytes: 120,
});

/** Deterministic Zipf(α) ranks over n keys (inverse CDF with a seeded PRNG). */
function zipfTrace(n: number, alpha: number, length: number, seed = 42): string[] {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / Math.pow(i + 1, alpha);
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out: string[] = [];
  for (let j = 0; j < length; j++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out.push(`sha256:${lo.toString(16).padStart(64, '0')}`);
  }
  return out;
}

/** Replays a trace the way the proxy uses the cache: get, and set on a miss. */
function hitRatio(cache: VerdictCache, trace: string[], warmup: number): number {
  let hits = 0;
  trace.forEach((key, i) => {
    if (cache.get(key) !== undefined) {
      if (i >= warmup) hits++;
    } else cache.set(key, value());
  });
  return hits / (trace.length - warmup);
}

/** A distinct SHA-256 key per name and number. */
const key = (name: string, i: number) => `sha256:${hashString(`${name}${i}`).toString(16).padStart(64, '0')}`;

/** Asks `cache` for a key `times` times as the proxy does: get, and set on a miss. */
const askFor = (cache: VerdictCache) => (k: string, times: number) => {
  for (let i = 0; i < times; i++) if (cache.get(k) === undefined) cache.set(k, value());
};

describe(VerdictCache.name, () => {
  it('stores, answers and deletes verdicts with per-verdict freshness', () => {
    const cache = new VerdictCache(options());
    const now = Date.now();
    const entry = cache.set('sha256:aa', value('suspicious'), now);
    expect(entry.freshUntil).toBe(now + 3600 * 1000);
    expect(cache.get('sha256:aa')).toEqual(entry);
    expect(VerdictCache.remaining(entry, now + 1000)).toBe(3599);
    expect(cache.set('sha256:bb', value('clean'), now, 60).freshUntil).toBe(now + 60_000);
    expect(cache.size).toBe(2);
    cache.delete('sha256:aa');
    expect(cache.get('sha256:aa')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('keeps an expired entry for the stale window, then drops it', () => {
    const cache = new VerdictCache(options({ ttl: { ...ttl, unknown: 1 }, staleWindow: 1 }));
    const start = Date.now() - 1500;
    const entry = cache.set('md5:00', value('unknown'), start);
    expect(entry.freshUntil).toBeLessThan(Date.now());
    expect(cache.get('md5:00')?.verdict).toBe('unknown');
    const old = cache.set('md5:11', value('unknown'), Date.now() - 2500);
    expect(old.freshUntil).toBeLessThan(Date.now());
    expect(cache.get('md5:11')).toBeUndefined();
  });

  it('as plain LRU evicts the least recently used entry and reports it', () => {
    let evictions = 0;
    const cache = new VerdictCache(options({ maxEntries: 3, admission: 'lru', onEvict: () => evictions++ }));
    expect(cache.policy).toBe('lru');
    for (const k of ['a', 'b', 'c']) cache.set(k, value());
    cache.get('a');
    cache.set('d', value());
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect(evictions).toBe(1);
  });

  it('with TinyLFU keeps popular verdicts through a scan of one-off keys', () => {
    let rejected = 0;
    const cache = new VerdictCache(options({ maxEntries: 100, onReject: () => rejected++ }));
    expect(cache.policy).toBe('tinylfu');
    const hot = Array.from({ length: 50 }, (_, i) => `hot${i}`);
    for (let round = 0; round < 4; round++) for (const k of hot) if (!cache.get(k)) cache.set(k, value());
    for (let i = 0; i < 500; i++) if (!cache.get(`scan${i}`)) cache.set(`scan${i}`, value());
    expect(hot.every((k) => cache.get(k) !== undefined)).toBe(true);
    expect(cache.size).toBe(100);
    expect(rejected).toBeGreaterThan(400);
    expect(cache.rejected).toBe(rejected);

    const lru = new VerdictCache(options({ maxEntries: 100, admission: 'lru' }));
    for (let round = 0; round < 4; round++) for (const k of hot) if (!lru.get(k)) lru.set(k, value());
    for (let i = 0; i < 500; i++) if (!lru.get(`scan${i}`)) lru.set(`scan${i}`, value());
    expect(hot.filter((k) => lru.get(k) !== undefined)).toHaveLength(0);
  });

  it('with TinyLFU admits a newcomer once it is asked for more than the LRU victim', () => {
    const cache = new VerdictCache(options({ maxEntries: 2 }));
    for (const k of ['a', 'b']) {
      cache.get(k);
      cache.set(k, value());
    }
    expect(cache.get('c')).toBeUndefined();
    cache.set('c', value());
    expect(cache.peek('c')).toBeUndefined();
    cache.get('c');
    cache.get('c');
    cache.set('c', value());
    expect(cache.peek('c')).toBeDefined();
    expect(cache.size).toBe(2);
  });

  it('with TinyLFU displaces the least asked-for of the least recently used entries, not a popular LRU tail', () => {
    const cache = new VerdictCache(options({ maxEntries: 3 }));
    const ask = (k: string, times: number) => {
      for (let i = 0; i < times; i++) cache.get(k);
      cache.set(k, value());
    };
    ask('popular', 5); // the least recently used entry, but asked for most
    ask('x', 1);
    ask('y', 1);
    ask('newcomer', 2);
    expect(cache.peek('newcomer')).toBeDefined();
    expect(cache.peek('popular')).toBeDefined();
    expect(cache.peek('x')).toBeUndefined();
    expect(cache.size).toBe(3);
  });

  it('with TinyLFU lets keys asked for as often as the sketch counts displace once-popular ones no longer asked for', () => {
    // The cache full of keys asked for past the sketch's ceiling, then never again; new keys
    // asked for as often must get in (a tie at the ceiling goes to the key asked for now),
    // or nothing new is cached until the sketch ages.
    const cache = new VerdictCache(options({ maxEntries: 50 }));
    const ask = askFor(cache);
    // 1,400 accesses in all: the sketch ages only after 2,000 (40 per entry).
    for (let i = 0; i < 50; i++) ask(key('old', i), 20);
    expect(cache.size).toBe(50);
    for (let i = 0; i < 20; i++) ask(key('new', i), 20);
    for (let i = 0; i < 20; i++) expect(cache.peek(key('new', i))).toBeDefined();
    // Below the ceiling a tie still keeps the cached key: once-asked keys do not churn the cache.
    ask(key('once', 0), 1);
    expect(cache.peek(key('once', 0))).toBeUndefined();
  });

  it('with TinyLFU gives a victim that stays a second chance, so once-popular keys do not keep new ones out', () => {
    // Forty keys asked for past the sketch's ceiling, then one-off keys filling the cache
    // behind them: the popular forty sit at the LRU end, more than the victims sampled there.
    // Newcomers asked for a few times must displace one-off keys, not meet the popular forty
    // again and again (the sketch ages only after 4,000 accesses, 40 per entry).
    const cache = new VerdictCache(options({ maxEntries: 100 }));
    const ask = askFor(cache);
    for (let i = 0; i < 40; i++) ask(key('hot', i), 20);
    for (let i = 0; i < 60; i++) ask(key('once', i), 1);
    expect(cache.size).toBe(100);
    for (let i = 0; i < 40; i++) ask(key('new', i), 3);
    const cached = (name: string, n: number) =>
      Array.from({ length: n }, (_, i) => key(name, i)).filter((k) => cache.peek(k) !== undefined).length;
    // The first few newcomers give the popular keys their second chances and are refused.
    expect(cached('new', 40)).toBeGreaterThanOrEqual(30);
    expect(cached('hot', 40)).toBe(40);
  });

  it('is bounded by estimated bytes as well as entries', () => {
    const cache = new VerdictCache(options({ maxEntries: 1000, maxBytes: 2000, admission: 'lru' }));
    for (let i = 0; i < 100; i++) cache.set(`sha256:${i.toString(16).padStart(64, '0')}`, value());
    expect(cache.calculatedSize).toBeLessThanOrEqual(2000);
    // Hash keys are held packed: a tag and the 32 digest bytes.
    expect(cache.size).toBe(Math.floor(2000 / (96 + 33)));
  });

  it.each([
    [0.9, 0.05],
    [1.0, 0.04],
  ])('beats LRU on a Zipf(%f) trace by at least %f in hit ratio', (alpha, gain) => {
    const trace = zipfTrace(5_000, alpha, 60_000);
    const lru = hitRatio(new VerdictCache(options({ maxEntries: 500, admission: 'lru' })), trace, 20_000);
    const tiny = hitRatio(new VerdictCache(options({ maxEntries: 500 })), trace, 20_000);
    expect(tiny - lru).toBeGreaterThan(gain);
  });
});

describe(packKey.name, () => {
  it.each([
    ['sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', 33],
    ['sha1:cf23df2207d99a74fbe169e3eba035e633b65d94', 21],
    ['md5:2e2c937846a0b8789e5e91739284d17a', 17],
    ['url:http://www.example.com/', 27],
    ['sha256:not-hex', 14],
    [`sha256:${'0'.repeat(63)}g`, 71],
    [`sha256:${'0'.repeat(63)}\u0130`, 71],
    ['md5:2e2c', 8],
  ])('packs %s to %i characters and back', (key, length) => {
    const packed = packKey(key);
    expect(packed).toHaveLength(length);
    expect(unpackKey(packed)).toBe(key);
  });

  it('packs a digest to its bytes, as Buffer would', () => {
    for (let i = 0; i < 200; i++) {
      const digest = randomBytes(32);
      const packed = packKey(`sha256:${digest.toString('hex')}`);
      expect(packed).toBe(`\u0001${digest.toString('latin1')}`);
    }
  });

  it('answers and lists hash keys as they were given', () => {
    const cache = new VerdictCache(options());
    const key = 'sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
    cache.set(key, value('malicious'));
    cache.set('url:http://www.example.com/', value());
    expect(cache.get(key)?.verdict).toBe('malicious');
    expect([...cache.keys()]).toEqual([key, 'url:http://www.example.com/']);
  });
});

describe(keyHash.name, () => {
  const distinct = (keys: string[]) => new Set(keys.map((k) => keyHash(packKey(k)))).size;

  it('spreads digests that differ only at one end, or are a repeated pattern', () => {
    const n = 10_000;
    const last = Array.from({ length: n }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    const first = Array.from(
      { length: n },
      (_, i) => `sha256:${i.toString(16).padStart(8, '0')}${'0'.repeat(56)}`,
    );
    // The benchmark's synthetic keys: eight hex digits, eight times (first and last bytes equal).
    const pattern = Array.from({ length: n }, (_, i) =>
      ((i * 2654435761) >>> 0).toString(16).padStart(8, '0').repeat(8),
    ).map((h) => `sha256:${h}`);
    // 10,000 keys in 2^32 hashes: a collision or two at most.
    for (const keys of [last, first, pattern]) expect(distinct(keys)).toBeGreaterThanOrEqual(n - 2);
  });

  it('tells the kinds apart and hashes other keys whole', () => {
    const bytes = '0123456789abcdef'.repeat(2);
    expect(keyHash(packKey(`md5:${bytes}`))).not.toBe(keyHash(packKey(`sha1:${bytes}00000000`)));
    const url = 'url:http://www.example.com/';
    expect(keyHash(packKey(url))).toBe(hashString(url));
  });
});
