import type { Verdict } from '@ksn/contracts';
import { LRUCache } from 'lru-cache';
import { fmix32, hashString, MAX_FREQUENCY, TinyLfu, type AdmissionPolicy } from './admission';

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
  /**
   * What decides whether a new verdict may displace the least recently used one
   * when the cache is full: `tinylfu` (default) admits it only if it is asked for
   * more often (see admission.ts); `lru` always admits (plain LRU).
   */
  admission?: AdmissionPolicy;
  onEvict?: () => void;
  /** Called when TinyLFU declines to cache a verdict (the cache is full of more popular ones). */
  onReject?: () => void;
}

/** Most distinct category/vendor/certificate strings shared between entries. */
const MAX_INTERNED = 65_536;
// Per-entry bookkeeping of lru-cache (map slot, list links, TTL arrays) and of the value object.
const ENTRY_OVERHEAD = 96;
/** Least recently used entries compared when choosing what a new verdict displaces (see `admits`). */
export const VICTIM_SAMPLE = 32;

/**
 * Verdict cache: lru-cache bounded by entries and by estimated bytes, with an
 * optional TinyLFU admission filter in front. Freshness is ours (`freshUntil`);
 * an entry is dropped when read after freshness plus the stale window (no
 * timers). lru-cache's own TTL is not used: its two per-entry Float64 arrays
 * cost 16 bytes a verdict for what `freshUntil` already says.
 *
 * Memory per verdict (the target is ≤ 250 bytes at 1M entries, see
 * docs/performance.md): hash keys are held packed (a tag character and the
 * digest's bytes as a Latin-1 string: 40 instead of 71 characters for SHA-256),
 * and category, vendor and certificate strings, which repeat across millions of
 * entries, are kept once (interned) rather than once per verdict.
 */
export class VerdictCache {
  private readonly lru: LRUCache<string, CachedVerdict>;
  private readonly admission: TinyLfu | undefined;
  private readonly interned = new Map<string, string>();
  private rejectedCount = 0;

  constructor(private readonly opts: CacheOptions) {
    this.lru = new LRUCache<string, CachedVerdict>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      sizeCalculation: (_v, k) => entrySize(k),
      dispose: (_v, _k, reason) => {
        if (reason === 'evict') opts.onEvict?.();
      },
    });
    this.admission = (opts.admission ?? 'tinylfu') === 'tinylfu' ? new TinyLfu(opts.maxEntries) : undefined;
  }

  get size(): number {
    return this.lru.size;
  }

  /** Estimated bytes held (what CACHE_MAX_BYTES bounds). */
  get calculatedSize(): number {
    return this.lru.calculatedSize;
  }

  /** Verdicts the admission filter declined to cache since start. */
  get rejected(): number {
    return this.rejectedCount;
  }

  get policy(): AdmissionPolicy {
    return this.admission ? 'tinylfu' : 'lru';
  }

  /**
   * The entry, fresh or stale, or undefined. Counts as an access for admission.
   * `k`: `packKey(key)` when the caller has it already (a batch packs while validating).
   */
  get(key: string, now = Date.now(), k = packKey(key)): CachedVerdict | undefined {
    this.admission?.record(keyHash(k));
    const entry = this.lru.get(k);
    if (entry !== undefined && this.dead(entry, now)) {
      this.lru.delete(k);
      return undefined;
    }
    return entry;
  }

  /** The entry without counting an access or refreshing its recency. */
  peek(key: string, now = Date.now()): CachedVerdict | undefined {
    const entry = this.lru.peek(packKey(key));
    return entry !== undefined && !this.dead(entry, now) ? entry : undefined;
  }

  /**
   * Caches a verdict (unless the admission filter declines it) and returns the
   * entry, which the caller answers with either way.
   */
  set(
    key: string,
    value: Omit<CachedVerdict, 'freshUntil'>,
    now = Date.now(),
    upstreamTtl?: number,
  ): CachedVerdict {
    let ttl = this.opts.ttl[value.verdict];
    if (upstreamTtl !== undefined && upstreamTtl < ttl) ttl = upstreamTtl;
    const entry: CachedVerdict = {
      verdict: value.verdict,
      category: this.intern(value.category),
      vendor: this.intern(value.vendor),
      certificate: this.intern(value.certificate),
      freshUntil: now + ttl * 1000,
      wireBytes: value.wireBytes,
    };
    const k = packKey(key);
    if (this.dead(entry, now)) return entry;
    if (this.admission !== undefined && !this.admits(k, now)) {
      this.rejectedCount++;
      this.opts.onReject?.();
      return entry;
    }
    this.lru.set(k, entry);
    return entry;
  }

  delete(key: string): void {
    this.lru.delete(packKey(key));
  }

  /** Keys (as given to `set`) from most to least recently used. */
  *keys(): IterableIterator<string> {
    for (const k of this.lru.keys()) yield unpackKey(k);
  }

  /** Seconds an entry stays fresh from now (what endpoints are told). */
  static remaining(entry: CachedVerdict, now = Date.now()): number {
    return Math.max(0, Math.ceil((entry.freshUntil - now) / 1000));
  }

  /**
   * Room for the key without evicting, or the key is asked for more often than
   * the victim: the least frequently asked of the `VICTIM_SAMPLE` least recently
   * used entries (an expired one is taken at once). Comparing against one LRU
   * tail alone keeps evicting recently unused but popular entries' neighbours at
   * random; sampling the tail lets the cache converge on the popular keys
   * (+3 points of hit ratio at Zipf α 0.9, docs/performance.md, ADR 010). The
   * chosen victim is removed here, so the insert does not evict another.
   */
  private admits(key: string, now: number): boolean {
    if (this.lru.has(key)) return true;
    const full =
      this.lru.size >= this.opts.maxEntries || this.lru.calculatedSize + entrySize(key) > this.opts.maxBytes;
    if (!full) return true;
    const admission = this.admission!;
    let victim: string | undefined;
    let victimFrequency = Infinity;
    let sampled = 0;
    for (const k of this.lru.rkeys()) {
      const old = this.lru.peek(k);
      if (old === undefined || this.dead(old, now)) {
        // An expired entry is free room: no comparison, and not an eviction.
        this.lru.delete(k);
        return true;
      }
      const f = admission.frequency(keyHash(k));
      if (f < victimFrequency) {
        victim = k;
        victimFrequency = f;
      }
      if (++sampled === VICTIM_SAMPLE) break;
    }
    if (victim === undefined) return true;
    // A tie refuses the newcomer (two keys asked for once each: keep the one cached), except at
    // the sketch's ceiling: past it the counts cannot tell the two apart, and the victim, least
    // recently used, has not been asked for lately.
    const frequency = admission.frequency(keyHash(key));
    if (frequency < victimFrequency || (frequency === victimFrequency && frequency < MAX_FREQUENCY)) {
      // The victim stays, and moves to the most recently used end (a second chance, as in
      // CLOCK): were it left at the LRU end, the next newcomers would meet it again and
      // again, and a cache whose LRU end holds keys popular once but no longer asked for
      // would admit nothing until the sketch ages (tools/bench/analysis.md, workload 6).
      this.lru.get(victim);
      return false;
    }
    this.lru.delete(victim);
    this.opts.onEvict?.();
    return true;
  }

  /** Past freshness and the stale window: never served again. */
  private dead(entry: CachedVerdict, now: number): boolean {
    return entry.freshUntil + this.opts.staleWindow * 1000 <= now;
  }

  private intern(s: string | undefined): string | undefined {
    if (s === undefined) return undefined;
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size < MAX_INTERNED) this.interned.set(s, s);
    return s;
  }
}

const UNTAG = ['', 'sha256:', 'sha1:', 'md5:'];

/** Hex digit values by UTF-16 code unit (-1: not a hex digit); 64 KiB, so any code unit indexes it. */
const HEX_VALUE = new Int8Array(65536).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = HEX_VALUE[65 + i] = 10 + i;
/** Character codes of one packed key per tag (SHA-256, SHA-1, MD5), reused: packing runs on every lookup. */
const PACK_CODES = [
  new Array<number>(33).fill(1),
  new Array<number>(21).fill(2),
  new Array<number>(17).fill(3),
] as const;

/** The tag (1 SHA-256, 2 SHA-1, 3 MD5) of a `kind:hex` key of the right length, else 0. */
function hashTag(key: string): number {
  const colon = key.indexOf(':');
  if (colon === 6 && key.length === 71 && key.startsWith('sha256')) return 1;
  if (colon === 4 && key.length === 45 && key.startsWith('sha1')) return 2;
  if (colon === 3 && key.length === 36 && key.startsWith('md5')) return 3;
  return 0;
}

/**
 * `sha256:<64 hex>` → tag + 32 Latin-1 characters (and likewise SHA-1, MD5);
 * other keys (URLs) unchanged. Keys are lower-case hex already (contracts'
 * hashKey), so packing and unpacking round-trip. Decoded by hand into one
 * `String.fromCharCode` call: no Buffer per lookup, a third less time than
 * `Buffer.from(hex).toString('latin1')`.
 */
export function packKey(key: string): string {
  const tag = hashTag(key);
  if (tag === 0) return key;
  return packHex(tag, key, UNTAG[tag]!.length) ?? key;
}

/**
 * `packKey(hashKey('sha256', hex))` if `hex` is a SHA-256 in hex (either letter case), else
 * undefined: validating a digest this way costs what the pattern test did, and the pack
 * comes with it (`fileKeys`, GET /v1/files).
 */
export function packSha256(hex: string): string | undefined {
  return hex.length === 64 ? packHex(1, hex, 0) : undefined;
}

const SHA256_KEY = 'sha256:';
/** Characters of a SHA-256's key (`sha256:` and 64 hex digits) and of its packed key (a tag and 32 bytes). */
const KEY_CHARS = 71;
const PACK_CHARS = 33;

/**
 * Reads SHA-256 digests written in hex (a lookup body's, `compactFileLookup`) into their keys
 * (`hashKey('sha256', …)`) and packed keys, a batch at a time: one pass over a digest's bytes
 * writes both into batch-wide buffers, and `take` makes the strings. The keys are slices of
 * one string of the whole batch: a string made from bytes costs a call into the runtime (about
 * 50 ns), a slice a few (tools/bench/analysis.md). The packed keys, which the cache's and
 * insights' maps compare, are strings of their own: a map compares a slice in the runtime, and
 * a kept slice would keep the whole batch's text alive. Nothing keeps a key for long (the
 * cache and insights keep packed keys).
 */
export class Sha256Reader {
  private readonly keyText: Buffer;
  private readonly packText: Buffer;
  private count = 0;

  /** `capacity`: most digests one batch holds. */
  constructor(readonly capacity: number) {
    this.keyText = Buffer.from(`${SHA256_KEY}${'0'.repeat(64)}`.repeat(capacity), 'latin1');
    this.packText = Buffer.alloc(PACK_CHARS * capacity, 1);
  }

  /** Forgets what was read since the last `take`. */
  reset(): void {
    this.count = 0;
  }

  /**
   * Reads the 64 bytes at `bytes[start…]` as a SHA-256 in hex (either letter case), the
   * batch's next digest; false if they are not 64 hex digits or the batch is full.
   */
  read(bytes: Uint8Array, start: number): boolean {
    if (start < 0 || start + 64 > bytes.length || this.count === this.capacity) return false;
    const keys = this.keyText;
    const packs = this.packText;
    let k = this.count * KEY_CHARS + SHA256_KEY.length;
    let p = this.count * PACK_CHARS + 1;
    for (let i = start, end = start + 64; i < end; i += 2) {
      const c1 = bytes[i]!;
      const c2 = bytes[i + 1]!;
      const hi = HEX_VALUE[c1]!;
      const lo = HEX_VALUE[c2]!;
      if ((hi | lo) < 0) return false;
      packs[p++] = (hi << 4) | lo;
      // A hex digit's code with 0x20 set is the digit in lower case ('0'–'9' have it already).
      keys[k++] = c1 | 0x20;
      keys[k++] = c2 | 0x20;
    }
    this.count++;
    return true;
  }

  /** The keys and packed keys read since the last `take`, in order; the next batch starts empty. */
  take(): { keys: string[]; packed: string[] } {
    const n = this.count;
    this.count = 0;
    const keyText = this.keyText.toString('latin1', 0, n * KEY_CHARS);
    const keys = new Array<string>(n);
    const packed = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      keys[i] = keyText.slice(i * KEY_CHARS, (i + 1) * KEY_CHARS);
      packed[i] = this.packText.toString('latin1', i * PACK_CHARS, (i + 1) * PACK_CHARS);
    }
    return { keys, packed };
  }
}

/**
 * The packed key of the digest written in hex at `text[start…]`, of the length `tag` says
 * (`text` must be long enough), or undefined if a character there is not a hex digit.
 */
function packHex(tag: number, text: string, start: number): string | undefined {
  const codes = PACK_CODES[tag - 1]!;
  for (let i = start, j = 1; j < codes.length; i += 2, j++) {
    const hi = HEX_VALUE[text.charCodeAt(i)]!;
    const lo = HEX_VALUE[text.charCodeAt(i + 1)]!;
    if ((hi | lo) < 0) return undefined;
    codes[j] = (hi << 4) | lo;
  }
  return String.fromCharCode(...codes);
}

/**
 * The admission filter's hash of a packed key. A digest's bytes are spread evenly already,
 * so for a hash key FNV-1a over its first and last four bytes (then the same finaliser as
 * `hashString`) is hash enough: running it over all 33 characters cost a sixth of a cache
 * read (tools/bench/analysis.md). Both ends, so keys that differ only at one end (test data,
 * counters written as hashes) still spread; FNV rather than an XOR of the two ends, which
 * cancels out for digests made of a repeated pattern (the benchmark's synthetic keys).
 * Endpoints choose the hashes they ask about and so could choose colliding ones, but a
 * device can already make any key look popular by asking for it again: collisions give it
 * nothing more. Other keys (URLs) are hashed whole.
 */
export function keyHash(k: string): number {
  const tag = k.charCodeAt(0);
  if (tag < 1 || tag > 3) return hashString(k);
  const n = k.length;
  let h = 0x811c9dc5 ^ tag;
  for (let i = 1; i <= 4; i++) {
    h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ k.charCodeAt(n - i), 0x01000193);
  }
  return fmix32(h);
}

export function unpackKey(packed: string): string {
  const tag = packed.charCodeAt(0);
  if (tag < 1 || tag > 3) return packed;
  return UNTAG[tag]! + Buffer.from(packed.slice(1), 'latin1').toString('hex');
}

function entrySize(k: string): number {
  // Interned strings are shared: only the key is per entry, plus a rough overhead.
  return ENTRY_OVERHEAD + k.length;
}
