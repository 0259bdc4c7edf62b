/** Upstream behaviour against the real cloud emulator: coalescing, stale-if-error, breaker, quota, change feed, private mode, overload. */
import type { LookupResponse } from '@ksn/contracts';
import { EICAR, file, lookup, metricValue, startTestProxy, until, useRig } from '../test/rig';

const hex = (n: number) => n.toString(16).padStart(64, '0');

describe('ksn-proxy upstream (against the cloud emulator)', () => {
  const rig = useRig();

  it('asks the emulator once for 1,000 concurrent lookups of one absent key', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    rig.emu.setFaults({ latencyMs: 100 });
    const key = hex(0xabc);
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => lookup(rig.proxy!, rig.token, [file(key)])),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(rig.emu.asked(`sha256:${key}`)).toBe(1);
    expect(rig.emu.stats().requests.v1_lookup).toBe(1);
  }, 20_000);

  it('serves stale verdicts (counted) while the emulator is out, 502 for what is not cached', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      TTL_MALICIOUS_SECONDS: '0',
      UPSTREAM_RETRIES: '0',
    });
    expect(
      ((await (await lookup(rig.proxy, rig.token, [file(EICAR)])).json()) as LookupResponse).results[0],
    ).toMatchObject({ source: 'upstream', verdict: 'malicious' });
    rig.emu.setFaults({ outage: 'unavailable' });
    const stale = (await (await lookup(rig.proxy, rig.token, [file(EICAR)])).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale', verdict: 'malicious', decision: 'block' });
    expect(
      await metricValue(
        rig.proxy,
        'ksn_proxy_lookup_items_total{module="file-threat-protection",source="stale",verdict="malicious"}',
      ),
    ).toBe(1);
    const miss = await lookup(rig.proxy, rig.token, [file(hex(1))]);
    expect(miss.status).toBe(502);
    expect(await miss.json()).toMatchObject({ error: 'upstream_error' });
  });

  it('retries a 503 once with backoff and then answers', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      UPSTREAM_RETRIES: '1',
      UPSTREAM_RETRY_BACKOFF_MS: '300',
    });
    rig.emu.setFaults({ outage: 'unavailable' });
    const pending = lookup(rig.proxy, rig.token, [file(hex(2))]);
    await until(() => rig.emu.stats().requests.v1_lookup === 1);
    rig.emu.setFaults({ outage: 'off' });
    expect((await pending).status).toBe(200);
    expect(rig.emu.stats().requests.v1_lookup).toBe(2);
  });

  it('opens the circuit after consecutive failures, refuses at once while open, probes half-open and closes', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      BREAKER_FAILURES: '2',
      BREAKER_RESET_MS: '2000',
      UPSTREAM_RETRIES: '0',
    });
    rig.emu.setFaults({ outage: 'unavailable' });
    expect((await lookup(rig.proxy, rig.token, [file(hex(10))])).status).toBe(502);
    expect((await lookup(rig.proxy, rig.token, [file(hex(11))])).status).toBe(502);
    expect(await metricValue(rig.proxy, 'ksn_proxy_circuit_state')).toBe(1);
    const asked = rig.emu.stats().requests.v1_lookup;
    const t0 = Date.now();
    const refused = await lookup(rig.proxy, rig.token, [file(hex(12))]);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: 'upstream_error' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(rig.emu.stats().requests.v1_lookup).toBe(asked); // not asked while open
    rig.emu.setFaults({ outage: 'off' });
    await until(async () => (await metricValue(rig.proxy!, 'ksn_proxy_circuit_state')) === 2, 4000);
    expect((await lookup(rig.proxy, rig.token, [file(hex(13))])).status).toBe(200);
    expect(await metricValue(rig.proxy, 'ksn_proxy_circuit_state')).toBe(0);
  }, 15_000);

  it('never over-asks a metered upstream: quota spent → stale if cached, else 429 upstream_quota', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      UPSTREAM_QUOTA_PER_SECOND: '1',
      UPSTREAM_QUOTA_BURST: '1',
      TTL_MALICIOUS_SECONDS: '0',
    });
    expect((await lookup(rig.proxy, rig.token, [file(EICAR)])).status).toBe(200); // the one token
    const stale = (await (await lookup(rig.proxy, rig.token, [file(EICAR)])).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale' });
    const refused = await lookup(rig.proxy, rig.token, [file(hex(20))]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'upstream_quota' });
    expect(rig.emu.stats().requests.v1_lookup).toBe(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_upstream_quota_throttled_total')).toBe(2);
    expect(await metricValue(rig.proxy, 'ksn_proxy_upstream_quota_tokens')).toBeLessThan(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await lookup(rig.proxy, rig.token, [file(hex(20))])).status).toBe(200);
  });

  it('replaces a cached verdict within seconds of an upstream change and reports it in the heartbeat', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { CHANGE_FEED_WAIT_SECONDS: '5' });
    const key = `sha256:${hex(30)}`;
    rig.emu.setVerdict(key, 'unknown');
    expect(
      ((await (await lookup(rig.proxy, rig.token, [file(hex(30))])).json()) as LookupResponse).results[0],
    ).toMatchObject({ verdict: 'unknown', source: 'upstream' });
    await until(() => rig.emu.stats().changeFeedWaiting > 0);
    rig.emu.setVerdict(key, 'malicious');
    await until(() => rig.proxy!.cache.peek(key)?.verdict === 'malicious', 3000);
    const after = (await (await lookup(rig.proxy, rig.token, [file(hex(30))])).json()) as LookupResponse;
    expect(after.results[0]).toMatchObject({ verdict: 'malicious', decision: 'block', source: 'cache' });
    expect(rig.emu.asked(key)).toBe(1);
    await rig.proxy.heartbeats.beat();
    const beat = rig.sc.heartbeats.at(-1) as { verdictChanges?: { key: string; from: string; to: string }[] };
    expect(beat.verdictChanges).toEqual([expect.objectContaining({ key, from: 'unknown', to: 'malicious' })]);
  });

  it('takes only the cursor of the feed history at start, however many pages it spans: no false verdict changes', async () => {
    // 1,200 changes of one key before the proxy starts: two pages (the emulator pages 1,000 at most).
    const key = `sha256:${hex(31)}`;
    for (let i = 0; i < 1200; i++) rig.emu.setVerdict(key, i % 2 === 0 ? 'malicious' : 'unknown');
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { CHANGE_FEED_WAIT_SECONDS: '5' });
    expect(
      ((await (await lookup(rig.proxy, rig.token, [file(hex(31))])).json()) as LookupResponse).results[0],
    ).toMatchObject({ verdict: 'unknown', source: 'upstream' });
    // Caught up and long-polling at the head of the feed.
    await until(() => rig.emu.stats().changeFeedWaiting > 0);
    expect(rig.proxy.cache.peek(key)?.verdict).toBe('unknown');
    await rig.proxy.heartbeats.beat();
    const quiet = rig.sc.heartbeats.at(-1) as { verdictChanges?: unknown[] };
    expect(quiet.verdictChanges ?? []).toEqual([]);
    // A change after start is still applied and reported, once.
    rig.emu.setVerdict(key, 'malicious');
    await until(() => rig.proxy!.cache.peek(key)?.verdict === 'malicious', 3000);
    await rig.proxy.heartbeats.beat();
    const beat = rig.sc.heartbeats.at(-1) as { verdictChanges?: { key: string; from: string; to: string }[] };
    expect(beat.verdictChanges).toEqual([expect.objectContaining({ key, from: 'unknown', to: 'malicious' })]);
  }, 15_000);

  it('in private mode answers from overrides and cache, unknown otherwise, and sends nothing', async () => {
    rig.sc.publish((s) => (s.overrides = [{ key: `sha256:${EICAR}`, action: 'block' }]));
    rig.proxy = await startTestProxy(rig.sc, 'off');
    const res = (await (
      await lookup(rig.proxy, rig.token, [file(EICAR), file(hex(40))])
    ).json()) as LookupResponse;
    expect(res.results[0]).toMatchObject({ decision: 'block', source: 'override' });
    expect(res.results[1]).toMatchObject({ verdict: 'unknown', source: 'cache', reason: 'private-mode' });
    const telemetry = await fetch(`${rig.proxy.endpointUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
      body: JSON.stringify({ kind: 'statistics', records: [{ a: 1 }] }),
    });
    expect(telemetry.status).toBe(403);
    expect(await telemetry.json()).toMatchObject({ error: 'sending_disabled' });
    const all = rig.emu.stats().requests as Record<string, number>;
    expect(Object.values(all).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('answers a fast 503 overloaded beyond the cap on upstream work', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      UPSTREAM_MAX_PENDING_KEYS: '3',
      UPSTREAM_TIMEOUT_MS: '5000',
    });
    rig.emu.setFaults({ latencyMs: 1500 });
    const slow = lookup(rig.proxy, rig.token, [file(hex(50)), file(hex(51)), file(hex(52))]);
    await until(() => rig.proxy!.upstream.pendingKeys === 3);
    const t0 = Date.now();
    const over = await lookup(rig.proxy, rig.token, [file(hex(53))]);
    expect(over.status).toBe(503);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(await over.json()).toMatchObject({ error: 'overloaded' });
    expect(Date.now() - t0).toBeLessThan(1000); // not after the upstream's 1.5 s
    // Asking for a key already in flight costs nothing and is not refused.
    expect((await lookup(rig.proxy, rig.token, [file(hex(50))])).status).toBe(200);
    expect((await slow).status).toBe(200);
  });

  it('sends a batch as soon as BATCH_FLUSH_KEYS misses wait; the rest wait for the window', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { BATCH_FLUSH_KEYS: '2', BATCH_WINDOW_MS: '200' });
    const res = await lookup(
      rig.proxy,
      rig.token,
      [70, 71, 72, 73, 74].map((n) => file(hex(n))),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as LookupResponse).results.map((r) => r.source)).toEqual(
      Array(5).fill('upstream'),
    );
    // Two full batches left at once, the fifth key after the window: three upstream calls, not one.
    expect(rig.emu.stats().requests.v1_lookup).toBe(3);
  });

  it('keeps batches to the pool size: misses that arrive while every connection is busy leave together, none time out queued', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      UPSTREAM_CONNECTIONS: '1',
      UPSTREAM_TIMEOUT_MS: '2500',
      UPSTREAM_RETRIES: '0',
      CHANGE_FEED_WAIT_SECONDS: '30',
    });
    // The change feed (started by the first answer) long-polls on its own connection: the one lookup connection stays free.
    expect((await lookup(rig.proxy, rig.token, [file(hex(59))])).status).toBe(200);
    await until(() => rig.emu.stats().changeFeedWaiting > 0);
    rig.emu.setFaults({ latencyMs: 1500 });
    const first = lookup(rig.proxy, rig.token, [file(hex(60))]);
    await until(() => rig.proxy!.upstream.pendingKeys === 1);
    const later: Promise<Response>[] = [];
    for (let i = 61; i <= 65; i++) {
      later.push(lookup(rig.proxy, rig.token, [file(hex(i))]));
      await new Promise((r) => setTimeout(r, 20)); // each past the batch window: alone, it would be a batch of its own
    }
    // Queued for a connection, five one-key batches would wait 1.5 s and then take 1.5 s: past the 2.5 s timeout.
    const answers = await Promise.all([first, ...later]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(rig.emu.stats().requests.v1_lookup).toBe(3);
  });
});
