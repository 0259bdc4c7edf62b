import type { Verdict } from '@ksn/contracts';
import type { Corpus } from './corpus/corpus';
import { reputation, type Reputation } from './corpus/reputation';
import { GenerationalMap } from './bounded';
import type { VerdictBook } from './verdicts';

export interface UrgentOptions {
  /** Share (0..1) of unknown objects that get a verdict some time after they are first asked about. */
  share: number;
  /** How long after the first lookup the verdict arrives, ms. */
  delayMs: number;
  /** The verdict they get. */
  verdict: Verdict;
  /** Bound on the objects remembered as asked-about and on detections made. */
  maxTracked: number;
}

/**
 * Urgent detection: a real cloud analyses unknown files it is asked about and
 * may find them malicious minutes later. Which unknown objects get detected is
 * a pure function of (seed, key); when is `delayMs` after the first lookup.
 * A timer publishes each detection at its due time, so long-polls of the
 * change feed wake at once. The delay is fixed, so due times arrive in order
 * and a FIFO queue is enough.
 */
export class UrgentDetector {
  private readonly seen: GenerationalMap<true>;
  private queue: { key: string; due: number }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly detected: Reputation;
  detections = 0;

  constructor(
    private readonly opts: UrgentOptions,
    private readonly corpus: Corpus,
    private readonly book: VerdictBook,
  ) {
    this.seen = new GenerationalMap(opts.maxTracked);
    this.detected = reputation(opts.verdict);
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Called for each key of a lookup, with the reputation it was answered with. */
  noteAsked(key: string, current: Reputation): void {
    if (current.verdict !== 'unknown' || this.opts.share <= 0) return;
    if (this.corpus.urgentRoll(key) >= this.opts.share) return;
    if (this.seen.has(key) || this.book.isOverridden(key)) return;
    if (this.book.overridden >= this.opts.maxTracked) return;
    this.seen.set(key, true);
    this.queue.push({ key, due: Date.now() + this.opts.delayMs });
    this.arm();
  }

  reset(): void {
    this.stop();
    this.seen.clear();
    this.queue = [];
    this.head = 0;
    this.detections = 0;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer || this.pending === 0) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.queue[this.head]!.due - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.pending > 0 && this.queue[this.head]!.due <= now) {
      const { key } = this.queue[this.head++]!;
      // A verdict set by hand meanwhile wins over the detection.
      if (this.book.isOverridden(key)) continue;
      this.book.set(key, this.detected, 'urgent');
      this.detections++;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.arm();
  }
}
