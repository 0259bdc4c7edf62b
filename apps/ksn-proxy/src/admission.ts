/**
 * TinyLFU admission (Einziger, Friedman, Manes, "TinyLFU: A Highly Efficient
 * Cache Admission Policy", 2017): a count-min sketch of recent access
 * frequencies, aged by halving every `sampleSize` recorded accesses, behind a
 * doorkeeper (a Bloom filter that absorbs each key's first access so one-hit
 * wonders never reach the sketch). When the cache is full, a new key is
 * admitted only if it has been asked for more often than the entry it would
 * evict; under skewed (Zipf-like) traffic this keeps the popular verdicts that
 * plain LRU throws out after a burst of rare keys.
 *
 * Memory: one byte per counter, 4 rows of `width` counters (the next power of
 * two ≥ 2 × capacity) plus 8 × `width` doorkeeper bits: 9 to 18 bytes per cached entry.
 */

export type AdmissionPolicy = 'tinylfu' | 'lru';
export const ADMISSION_POLICIES: readonly AdmissionPolicy[] = ['tinylfu', 'lru'];

const DEPTH = 4;
const MAX_COUNT = 15;
/** The highest `TinyLfu.frequency`: a saturated counter, and the doorkeeper's one. */
export const MAX_FREQUENCY = MAX_COUNT + 1;
// Odd 32-bit multipliers to derive the row indices from one string hash.
const SEEDS = [0x97cb3127, 0xcc9e2d51, 0x1b873593, 0x85ebca6b] as const;

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser to spread the bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** murmur3's 32-bit finaliser: every input bit moves about half the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rowIndex(hash: number, row: number, mask: number): number {
  let h = Math.imul(hash, SEEDS[row as 0 | 1 | 2 | 3]);
  h ^= h >>> 15;
  return h & mask;
}

/** Count-min sketch with 4-bit saturating counters (stored in bytes) and periodic halving. */
export class FrequencySketch {
  private readonly table: Uint8Array;
  private readonly mask: number;
  private readonly scratch = new Int32Array(DEPTH);
  readonly width: number;

  constructor(capacity: number) {
    let width = 16;
    while (width < capacity && width < 1 << 28) width <<= 1;
    this.width = width;
    this.mask = width - 1;
    this.table = new Uint8Array(width * DEPTH);
  }

  /** Estimated count of `hash` (the minimum over the rows). */
  frequency(hash: number): number {
    let min = MAX_COUNT;
    for (let r = 0; r < DEPTH; r++) {
      const c = this.table[r * this.width + rowIndex(hash, r, this.mask)]!;
      if (c < min) min = c;
    }
    return min;
  }

  /** Conservative increment: only the rows at the current minimum grow. */
  increment(hash: number): void {
    const idx = this.scratch;
    let min = MAX_COUNT;
    for (let r = 0; r < DEPTH; r++) {
      const i = r * this.width + rowIndex(hash, r, this.mask);
      idx[r] = i;
      const c = this.table[i]!;
      if (c < min) min = c;
    }
    if (min >= MAX_COUNT) return;
    for (let r = 0; r < DEPTH; r++) {
      const i = idx[r]!;
      if (this.table[i] === min) this.table[i] = min + 1;
    }
  }

  /** Ages every counter by half, so that yesterday's favourites can be displaced. */
  halve(): void {
    const t = this.table;
    for (let i = 0; i < t.length; i++) t[i] = t[i]! >>> 1;
  }
}

/** Bloom filter with two probes per key, cleared when the sketch ages. */
export class Doorkeeper {
  private readonly bits: Int32Array;
  private readonly mask: number;

  constructor(width: number) {
    this.bits = new Int32Array(Math.max(1, width >>> 5));
    this.mask = this.bits.length * 32 - 1;
  }

  has(hash: number): boolean {
    const a = hash & this.mask;
    const b = (Math.imul(hash, 0x9e3779b1) >>> 7) & this.mask;
    return (this.bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  /** Sets the key's bits; true when they were all set already. */
  put(hash: number): boolean {
    const a = hash & this.mask;
    const b = (Math.imul(hash, 0x9e3779b1) >>> 7) & this.mask;
    const seen =
      (this.bits[a >>> 5]! & (1 << (a & 31))) !== 0 && (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0;
    this.bits[a >>> 5]! |= 1 << (a & 31);
    this.bits[b >>> 5]! |= 1 << (b & 31);
    return seen;
  }

  clear(): void {
    this.bits.fill(0);
  }
}

/** Sizes of the filter, per cached entry (defaults in brackets). */
export interface TinyLfuTuning {
  /** Counters per sketch row per entry, rounded up to a power of two [2]. */
  widthPerEntry?: number;
  /** Doorkeeper bits per sketch counter column [8]. */
  doorkeeperBits?: number;
  /**
   * Accesses between two agings, per entry [40]. The paper uses 10; on Zipf traces
   * over 10× more keys than the cache, keys at the cache's edge are seen about once
   * per 10 × capacity accesses, too few to tell them from the tail: 40 gives
   * +2 points of hit ratio at α 0.9 (tools/bench/sim.mjs) at the cost of slower
   * adaptation when popularity shifts.
   */
  samplePerEntry?: number;
}

/** The TinyLFU admission filter for a cache of `capacity` entries. */
export class TinyLfu {
  private readonly sketch: FrequencySketch;
  private readonly doorkeeper: Doorkeeper;
  /** Accesses recorded between two agings. */
  readonly sampleSize: number;
  private additions = 0;

  constructor(capacity: number, tuning: TinyLfuTuning = {}) {
    const { widthPerEntry = 2, doorkeeperBits = 8, samplePerEntry = 40 } = tuning;
    this.sketch = new FrequencySketch(widthPerEntry * capacity);
    this.doorkeeper = new Doorkeeper(this.sketch.width * doorkeeperBits);
    this.sampleSize = Math.max(samplePerEntry * capacity, 16 * samplePerEntry);
  }

  /**
   * Records one access (hits and misses alike) to the key whose hash is `hash`. The caller
   * hashes: the cache uses `keyHash`, which reads a digest's bytes rather than its text.
   */
  record(hash: number): void {
    if (++this.additions >= this.sampleSize) this.age();
    if (!this.doorkeeper.put(hash)) return;
    this.sketch.increment(hash);
  }

  /** Estimated recent accesses of the key whose hash is `hash`. */
  frequency(hash: number): number {
    return this.sketch.frequency(hash) + (this.doorkeeper.has(hash) ? 1 : 0);
  }

  private age(): void {
    this.additions = 0;
    this.sketch.halve();
    this.doorkeeper.clear();
  }
}
