/**
 * A seeded, non-cryptographic string hash (cyrb53-style, two 32-bit lanes) with
 * murmur3's finaliser for independent draws. It exists so the corpus can answer
 * millions of keys without storing them: a draw is a pure function of
 * (seed, key, draw number), costs a few multiplications per character, and
 * allocates one small object per key.
 */
export class SeededHash {
  private readonly a: number;
  private readonly b: number;

  constructor(seed: string) {
    // Absorb the seed once; every key continues from this state.
    let a = 0xdeadbeef;
    let b = 0x41c6ce57;
    const text = `${seed}\u0000`;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      a = Math.imul(a ^ ch, 2654435761);
      b = Math.imul(b ^ ch, 1597334677);
    }
    this.a = a;
    this.b = b;
  }

  of(key: string): Digest {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < key.length; i++) {
      const ch = key.charCodeAt(i);
      a = Math.imul(a ^ ch, 2654435761);
      b = Math.imul(b ^ ch, 1597334677);
    }
    a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
    b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
    return new Digest(a >>> 0, b >>> 0);
  }
}

/** The hash of one key; `draw(n)` gives independent uniform values per purpose. */
export class Digest {
  constructor(
    readonly hi: number,
    readonly lo: number,
  ) {}

  /** Uniform 32-bit unsigned integer number `n` of this key. */
  u32(n: number): number {
    return fmix32((this.hi ^ Math.imul(n + 1, 0x9e3779b9)) + this.lo);
  }

  /** Uniform in [0, 1). */
  unit(n: number): number {
    return this.u32(n) / 4294967296;
  }

  /** Uniform integer in [0, max). */
  below(n: number, max: number): number {
    return Math.floor(this.unit(n) * max);
  }
}

function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
