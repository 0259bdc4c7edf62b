import type { Verdict } from '@ksn/contracts';
import type { Logger } from '@ksn/service-kit';
import type { VerdictCache } from './cache';
import type { Insights } from './insights';
import type { Upstream } from './upstream';

/**
 * Follows the upstream's verdict-change feed (`GET /v1/changes?since=&wait=`,
 * long-poll) so that a cached verdict that changes upstream is replaced within
 * seconds, not when its TTL runs out. A change to a cached key updates the
 * entry (keeping its category etc. unless the change names a new one) and is
 * recorded for the heartbeat's `verdictChanges`.
 */
export class ChangeFeed {
  private cursor = '';
  private stopped = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly upstream: Upstream,
    private readonly cache: VerdictCache,
    private readonly insights: Insights,
    private readonly waitSeconds: number,
    private readonly log: Logger,
  ) {}

  /**
   * Starts following the feed (idempotent). The proxy calls it after its first
   * successful upstream lookup: until something is cached there is nothing to replace.
   */
  start(): void {
    if (this.running || this.stopped || !this.upstream.enabled || this.waitSeconds === 0) return;
    this.running = this.run();
  }

  private async run(): Promise<void> {
    let backoff = 500;
    // What the feed holds from before this proxy cached anything is history: it may span many
    // pages (the upstream answers at most a page at a time), so at start read without waiting
    // until a page comes back empty, taking only the cursor. Nothing is applied until then.
    let catchingUp = true;
    while (!this.stopped) {
      try {
        const page = await this.upstream.changes(
          this.cursor,
          catchingUp ? 0 : this.waitSeconds,
          this.abort.signal,
        );
        if (page === undefined) {
          this.log.warn(
            'the upstream has no verdict-change feed; cached verdicts change only when they expire',
          );
          return;
        }
        if (catchingUp) {
          // A page that does not move the cursor ends the catch-up too (no endless loop on a broken feed).
          if (page.changes.length === 0 || page.cursor === this.cursor) catchingUp = false;
        } else {
          for (const c of page.changes) this.apply(c.key, c.verdict, c.category, c.at);
        }
        this.cursor = page.cursor;
        backoff = 500;
      } catch (e) {
        if (this.stopped) return;
        this.log.warn('verdict-change feed failed; retrying', { error: (e as Error).message });
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  apply(key: string, verdict: Verdict, category: string | undefined, at: string): void {
    const entry = this.cache.peek(key);
    if (entry === undefined) return;
    if (entry.verdict !== verdict) this.insights.verdictChanged(key, entry.verdict, verdict, at);
    this.cache.set(key, {
      verdict,
      category: category ?? entry.category,
      vendor: entry.vendor,
      certificate: entry.certificate,
      wireBytes: entry.wireBytes,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }
}
