import { ChangeFeed } from './feed';

const change = (n: number) => ({
  key: `md5:${String(n).padStart(32, '0')}`,
  verdict: 'malicious' as const,
  previous: 'unknown' as const,
});

describe(ChangeFeed.name, () => {
  it('numbers changes 1, 2, 3… and reads those after a cursor', () => {
    const feed = new ChangeFeed();
    expect(feed.read(0)).toEqual({ cursor: '0', changes: [] });
    feed.publish(change(1));
    feed.publish(change(2));
    const all = feed.read(0);
    expect(all.cursor).toBe('2');
    expect(all.changes.map((c) => [c.cursor, c.key])).toEqual([
      ['1', change(1).key],
      ['2', change(2).key],
    ]);
    expect(feed.read(1).changes.map((c) => c.cursor)).toEqual(['2']);
    expect(feed.read(2)).toEqual({ cursor: '2', changes: [] });
  });

  it('pages long backlogs and keeps a bounded history', () => {
    const feed = new ChangeFeed({ maxPage: 3, maxEntries: 10 });
    for (let i = 1; i <= 25; i++) feed.publish(change(i));
    const page = feed.read(20);
    expect(page.changes.map((c) => c.cursor)).toEqual(['21', '22', '23']);
    expect(page.cursor).toBe('23');
    // A reader further behind than the history gets the oldest kept.
    const behind = feed.read(0);
    expect(Number(behind.changes[0]!.cursor)).toBeGreaterThan(1);
    expect(behind.changes.length).toBe(3);
  });

  it('answers a cursor from the future (another incarnation) at once with the current cursor', async () => {
    const feed = new ChangeFeed();
    feed.publish(change(1));
    await expect(feed.wait(7, 5000)).resolves.toEqual({ cursor: '1', changes: [] });
  });

  it('parses cursors: empty or absent is the start, anything but digits is refused', () => {
    expect(ChangeFeed.parseCursor(null)).toBe(0);
    expect(ChangeFeed.parseCursor('')).toBe(0);
    expect(ChangeFeed.parseCursor('42')).toBe(42);
    expect(ChangeFeed.parseCursor('-1')).toBeUndefined();
    expect(ChangeFeed.parseCursor('abc')).toBeUndefined();
  });

  it('wakes a waiting reader when a change is published', async () => {
    const feed = new ChangeFeed();
    const waiting = feed.wait(0, 10_000);
    expect(feed.waiting).toBe(1);
    feed.publish(change(1));
    const got = await waiting;
    expect(got.changes.map((c) => c.cursor)).toEqual(['1']);
    expect(feed.waiting).toBe(0);
  });

  it('returns empty after the wait when nothing changes', async () => {
    const feed = new ChangeFeed();
    const started = Date.now();
    await expect(feed.wait(0, 100)).resolves.toEqual({ cursor: '0', changes: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('ends waits when closed or aborted', async () => {
    const feed = new ChangeFeed();
    const abort = new AbortController();
    const a = feed.wait(0, 60_000, abort.signal);
    const b = feed.wait(0, 60_000);
    abort.abort();
    await expect(a).resolves.toEqual({ cursor: '0', changes: [] });
    feed.close();
    await expect(b).resolves.toEqual({ cursor: '0', changes: [] });
    await expect(feed.wait(0, 60_000)).resolves.toEqual({ cursor: '0', changes: [] });
  });
});
