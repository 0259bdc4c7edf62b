import type { VerdictChange } from '@ksn/contracts';
import type { Corpus } from './corpus/corpus';
import type { Reputation } from './corpus/reputation';
import type { ChangeFeed } from './feed';

/** Why a verdict changed (a label of ksn_emulator_verdict_changes_total). */
export type ChangeReason = 'manual' | 'urgent' | 'reset';
export const CHANGE_REASONS: readonly ChangeReason[] = ['manual', 'urgent', 'reset'];

/**
 * The verdicts in force: the corpus's, unless overridden (by hand through
 * /admin/verdicts, or by an urgent detection). Every override that changes
 * what clients see (verdict or category) is published in the change feed.
 */
export class VerdictBook {
  private readonly overrides = new Map<string, Reputation>();

  constructor(
    private readonly corpus: Corpus,
    private readonly feed: ChangeFeed,
    private readonly onChange: (reason: ChangeReason) => void = () => undefined,
  ) {}

  get overridden(): number {
    return this.overrides.size;
  }

  current(key: string): Reputation {
    return this.overrides.get(key) ?? this.corpus.reputation(key);
  }

  isOverridden(key: string): boolean {
    return this.overrides.has(key);
  }

  /** Puts `next` in force for `key`; the change published, if clients would see one. */
  set(key: string, next: Reputation, reason: ChangeReason): VerdictChange | undefined {
    const previous = this.current(key);
    this.overrides.set(key, next);
    return this.publishIfChanged(key, previous, next, reason);
  }

  /** Drops every override; reverting a verdict clients have seen is published like any change. */
  reset(): void {
    const overrides = [...this.overrides];
    this.overrides.clear();
    for (const [key, was] of overrides) this.publishIfChanged(key, was, this.corpus.reputation(key), 'reset');
  }

  private publishIfChanged(
    key: string,
    previous: Reputation,
    next: Reputation,
    reason: ChangeReason,
  ): VerdictChange | undefined {
    if (previous.verdict === next.verdict && previous.category === next.category) return undefined;
    this.onChange(reason);
    return this.feed.publish({
      key,
      verdict: next.verdict,
      previous: previous.verdict,
      ...(next.category !== undefined && { category: next.category }),
    });
  }
}
