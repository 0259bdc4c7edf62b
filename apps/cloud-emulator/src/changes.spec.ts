import type { ChangesResponse, ErrorBody, UpstreamLookupResponse, Verdict } from '@ksn/contracts';
import { get, post, sha256Key } from '../test/client';
import { startCloudEmulator, type RunningEmulator } from './server';

const since = (e: RunningEmulator, cursor: string, wait: number) =>
  get<ChangesResponse>(e.url, `/v1/changes?since=${cursor}&wait=${wait}`);
const verdictOf = async (e: RunningEmulator, key: string): Promise<Verdict> =>
  (await post<UpstreamLookupResponse>(e.url, '/v1/lookup', { keys: [key] })).body.results[0]!.verdict;

/** Random keys until one the corpus does not know (30 % of them). */
async function unknownKey(e: RunningEmulator): Promise<string> {
  const keys = Array.from({ length: 50 }, sha256Key);
  const details = await Promise.all(
    keys.map((k) => get<{ verdict: Verdict }>(e.url, `/v1/files/${k.slice(7)}/details`)),
  );
  return keys[details.findIndex((d) => d.body.verdict === 'unknown')]!;
}

describe(startCloudEmulator.name, () => {
  describe('GET /v1/changes and verdict changes', () => {
    let emu: RunningEmulator;
    beforeEach(async () => {
      emu = await startCloudEmulator({ port: 0, seed: 'feed', defaultMetrics: false, urgent: { share: 0 } });
    });
    afterEach(async () => {
      await emu.close();
    });

    it('publishes a verdict set by hand to a waiting long-poll, and later lookups return it', async () => {
      const key = await unknownKey(emu);
      const before = await verdictOf(emu, key);
      const target: Verdict = 'malicious';
      const waiting = since(emu, '0', 10);
      await new Promise((r) => setTimeout(r, 100));
      const set = await post(emu.url, '/admin/verdicts', {
        key: key.toUpperCase().replace('SHA256', 'sha256'),
        verdict: target,
      });
      expect(set.body).toMatchObject({ key, verdict: target, previous: before, change: { cursor: '1' } });
      const feed = (await waiting).body;
      expect(feed).toEqual({
        cursor: '1',
        changes: [{ cursor: '1', key, verdict: target, previous: before, at: expect.any(String) }],
      });
      expect(await verdictOf(emu, key)).toBe(target);
      // The same verdict again is no change; a category is.
      expect((await post(emu.url, '/admin/verdicts', { key, verdict: target })).body).toMatchObject({
        change: null,
      });
      const categorised = await post(emu.url, '/admin/verdicts', { key, verdict: target, category: 'Games' });
      expect(categorised.body).toMatchObject({
        category: 'Games',
        change: { cursor: '2', category: 'Games' },
      });
      expect((await since(emu, '1', 0)).body.changes.map((c) => c.cursor)).toEqual(['2']);
      expect(
        (await post<UpstreamLookupResponse>(emu.url, '/v1/lookup', { keys: [key] })).body.results[0],
      ).toMatchObject({ category: 'Games' });
      expect(emu.stats().changes).toBe(2);
    });

    it('refuses bad manual verdicts naming the field', async () => {
      const cases: [unknown, string][] = [
        [{ key: 'nonsense', verdict: 'clean' }, 'key'],
        [{ key: sha256Key(), verdict: 'evil' }, 'verdict'],
        [{ key: sha256Key(), verdict: 'clean', category: 'Not/In/The/Tree' }, 'category'],
        [{ verdict: 'clean' }, 'key'],
      ];
      for (const [body, field] of cases) {
        const res = await post<ErrorBody>(emu.url, '/admin/verdicts', body);
        expect([res.status, res.body.field]).toEqual([400, field]);
      }
    });

    it('times out empty when nothing changes, and answers at once when changes exist', async () => {
      const started = Date.now();
      const res = await since(emu, '0', 0.3);
      expect(res.body).toEqual({ cursor: '0', changes: [] });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      emu.setVerdict(sha256Key(), 'adware');
      const quick = Date.now();
      expect((await since(emu, '0', 30)).body.changes).toHaveLength(1);
      expect(Date.now() - quick).toBeLessThan(5000);
    });

    it('refuses bad cursors and waits naming the parameter', async () => {
      for (const [query, field] of [
        ['since=abc', 'since'],
        ['since=-1', 'since'],
        ['since=0&wait=61', 'wait'],
        ['since=0&wait=soon', 'wait'],
      ]) {
        const res = await get<ErrorBody>(emu.url, `/v1/changes?${query}`);
        expect([query, res.status, res.body.field]).toEqual([query, 400, field]);
      }
    });

    it('publishes reverts when /admin/reset drops verdicts set by hand, keeping the cursor counting', async () => {
      const key = await unknownKey(emu);
      emu.setVerdict(key, 'malicious');
      await post(emu.url, '/admin/reset', {});
      const feed = (await since(emu, '1', 0)).body;
      expect(feed.changes).toEqual([
        expect.objectContaining({ cursor: '2', key, verdict: 'unknown', previous: 'malicious' }),
      ]);
      expect(await verdictOf(emu, key)).toBe('unknown');
    });

    it('ends a pending long-poll promptly when the server closes', async () => {
      const other = await startCloudEmulator({ port: 0, defaultMetrics: false });
      const started = Date.now();
      const waiting = fetch(`${other.url}/v1/changes?since=0&wait=60`).then(
        async (r) => r.status,
        () => 'connection closed',
      );
      await new Promise((r) => setTimeout(r, 100));
      expect(other.stats().changeFeedWaiting).toBe(1);
      await other.close();
      expect(await waiting).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  describe('urgent detection', () => {
    it('gives a share of unknown objects a verdict a delay after their first lookup, waking a waiting long-poll', async () => {
      const emu = await startCloudEmulator({
        port: 0,
        seed: 'urgent',
        defaultMetrics: false,
        urgent: { share: 1, delayMs: 200, verdict: 'malicious' },
      });
      try {
        const key = await unknownKey(emu);
        const waiting = since(emu, '0', 10);
        await new Promise((r) => setTimeout(r, 50));
        const asked = Date.now();
        expect(await verdictOf(emu, key)).toBe('unknown');
        expect(await verdictOf(emu, key)).toBe('unknown'); // a second ask does not reschedule
        expect(emu.stats().urgentPending).toBe(1);
        const feed = (await waiting).body;
        const took = Date.now() - asked;
        expect(feed.changes).toEqual([
          expect.objectContaining({ cursor: '1', key, verdict: 'malicious', previous: 'unknown' }),
        ]);
        expect(took).toBeGreaterThanOrEqual(150);
        expect(took).toBeLessThan(4000); // far below the 10 s wait: the poll was woken, not timed out
        expect(await verdictOf(emu, key)).toBe('malicious');
        expect(
          (await get<{ verdict: Verdict }>(emu.url, `/v1/files/${key.slice(7)}/details`)).body.verdict,
        ).toBe('malicious');
        expect(emu.stats()).toMatchObject({ urgentPending: 0, urgentDetections: 1, changes: 1 });
      } finally {
        await emu.close();
      }
    });

    it('detects only the configured share, and a verdict set by hand meanwhile wins', async () => {
      const none = await startCloudEmulator({
        port: 0,
        seed: 'urgent',
        defaultMetrics: false,
        urgent: { share: 0, delayMs: 0 },
      });
      const half = await startCloudEmulator({
        port: 0,
        seed: 'urgent',
        defaultMetrics: false,
        urgent: { share: 0.5, delayMs: 60_000 },
      });
      const all = await startCloudEmulator({
        port: 0,
        seed: 'urgent',
        defaultMetrics: false,
        urgent: { share: 1, delayMs: 300 },
      });
      try {
        const keys = Array.from({ length: 1000 }, sha256Key);
        await post(none.url, '/v1/lookup', { keys });
        const halfUnknown = (
          await post<UpstreamLookupResponse>(half.url, '/v1/lookup', { keys })
        ).body.results.filter((r) => r.verdict === 'unknown');
        expect(half.stats().urgentPending / halfUnknown.length).toBeGreaterThan(0.35);
        expect(half.stats().urgentPending / halfUnknown.length).toBeLessThan(0.65);
        const unknown = (
          await post<UpstreamLookupResponse>(all.url, '/v1/lookup', { keys })
        ).body.results.filter((r) => r.verdict === 'unknown');
        expect(all.stats().urgentPending).toBe(unknown.length);
        all.setVerdict(unknown[0]!.key, 'clean');
        await new Promise((r) => setTimeout(r, 500));
        expect(none.stats()).toMatchObject({ urgentPending: 0, changes: 0 });
        expect(all.stats()).toMatchObject({
          urgentPending: 0,
          urgentDetections: unknown.length - 1,
          changes: unknown.length,
        });
        expect(await verdictOf(all, unknown[0]!.key)).toBe('clean');
      } finally {
        await none.close();
        await half.close();
        await all.close();
      }
    });
  });
});
