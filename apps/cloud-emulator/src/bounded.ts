/**
 * A map that holds at most about `capacity` entries by keeping two
 * generations: when the young one is full it becomes the old one and the
 * previous old one is dropped whole. O(1) per operation, no per-entry
 * bookkeeping; an entry read from the old generation is promoted.
 */
export class GenerationalMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  /** Entries dropped by generation turnover since the last clear. */
  dropped = 0;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 2)) throw new Error('capacity must be at least 2');
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    if (!this.young.has(key) && this.young.size >= this.capacity / 2) {
      this.dropped += this.old.size;
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
    this.old.delete(key);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
    this.dropped = 0;
  }
}
