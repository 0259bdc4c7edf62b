import type { ChangesResponse, VerdictChange } from '@ksn/contracts';

export interface ChangeFeedOptions {
  /** Changes kept for readers that are behind (older ones are dropped). */
  maxEntries?: number;
  /** Most changes in one answer; the cursor then points at the last one given. */
  maxPage?: number;
}

/**
 * The verdict-change feed: a sequence of changes with cursors 1, 2, 3… (sent
 * as strings; clients treat them as opaque), and long-poll readers that wake
 * as soon as a change is published or the feed closes.
 */
export class ChangeFeed {
  private entries: VerdictChange[] = [];
  /** Sequence number of entries[0]. */
  private first = 1;
  private last = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;
  private readonly maxEntries: number;
  private readonly maxPage: number;

  constructor(opts: ChangeFeedOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.maxPage = opts.maxPage ?? 1000;
  }

  get cursor(): string {
    return String(this.last);
  }

  get total(): number {
    return this.last;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /** Parses a cursor from a client: empty or absent means "from the start"; undefined when malformed. */
  static parseCursor(raw: string | null): number | undefined {
    if (raw === null || raw === '') return 0;
    return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  }

  publish(change: Omit<VerdictChange, 'cursor' | 'at'>, at: Date = new Date()): VerdictChange {
    const entry: VerdictChange = { cursor: String(++this.last), ...change, at: at.toISOString() };
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) {
      const drop = this.entries.length - Math.floor(this.maxEntries / 2);
      this.entries = this.entries.slice(drop);
      this.first += drop;
    }
    this.wake();
    return entry;
  }

  /**
   * Changes after `since`. A cursor from the future (e.g. one from before an
   * emulator restart) gets the current cursor and nothing, so the client resyncs.
   */
  read(since: number): ChangesResponse {
    if (since >= this.last) return { cursor: this.cursor, changes: [] };
    const from = Math.max(since + 1, this.first) - this.first;
    const changes = this.entries.slice(from, from + this.maxPage);
    return { cursor: changes.length > 0 ? changes[changes.length - 1]!.cursor : this.cursor, changes };
  }

  /** Like `read`, but waits up to `waitMs` for a change when the client is up to date. */
  async wait(since: number, waitMs: number, signal?: AbortSignal): Promise<ChangesResponse> {
    if (since !== this.last || waitMs <= 0 || this.closed || signal?.aborted) return this.read(since);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return this.read(since);
  }

  /** Wakes every waiting reader; later waits return at once. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const done of [...this.waiters]) done();
  }
}
