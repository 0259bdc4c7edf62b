/** Upstream behaviour against the real cloud emulator: coalescing, stale-if-error, breaker, quota, change feed, private mode, overload. */
import type { LookupResponse } from '@ksn/contracts';
import { startCloudEmulator, type RunningEmulator } from '../test/emulator';
import { FakeSecurityCenter } from '../test/fakes';
import { EICAR, file, lookup, metricValue, startTestProxy, until } from '../test/rig';
import type { RunningProxy } from './server';

const hex = (n: number) => n.toString(16).padStart(64, '0');

describe('ksn-proxy upstream (against the cloud emulator)', () => {
  let sc: FakeSecurityCenter;
  let emu: RunningEmulator;
  let proxy: RunningProxy | undefined;
  let token: string;

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    emu = await startCloudEmulator({ port: 0, defaultMetrics: false, urgent: { share: 0 } });
    token = sc.token();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await emu.close();
    await sc.close();
  });

  it('asks the emulator once for 1,000 concurrent lookups of one absent key', async () => {
    proxy = await startTestProxy(sc, emu.url);
    emu.setFaults({ latencyMs: 100 });
    const key = hex(0xabc);
    const answers = await Promise.all(Array.from({ length: 1000 }, () => lookup(proxy!, token, [file(key)])));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(emu.asked(`sha256:${key}`)).toBe(1);
    expect(emu.stats().requests.v1_lookup).toBe(1);
  }, 20_000);

  it('serves stale verdicts (counted) while the emulator is out, 502 for what is not cached', async () => {
    proxy = await startTestProxy(sc, emu.url, { TTL_MALICIOUS_SECONDS: '0', UPSTREAM_RETRIES: '0' });
    expect(((await (await lookup(proxy, token, [file(EICAR)])).json()) as LookupResponse).results[0]).toMatchObject({ source: 'upstream', verdict: 'malicious' });
    emu.setFaults({ outage: 'unavailable' });
    const stale = (await (await lookup(proxy, token, [file(EICAR)])).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale', verdict: 'malicious', decision: 'block' });
    expect(await metricValue(proxy, 'ksn_proxy_lookup_items_total{module="file-threat-protection",source="stale",verdict="malicious"}')).toBe(1);
    const miss = await lookup(proxy, token, [file(hex(1))]);
    expect(miss.status).toBe(502);
    expect(await miss.json()).toMatchObject({ error: 'upstream_error' });
  });

  it('retries a 503 once with backoff and then answers', async () => {
    proxy = await startTestProxy(sc, emu.url, { UPSTREAM_RETRIES: '1', UPSTREAM_RETRY_BACKOFF_MS: '300' });
    emu.setFaults({ outage: 'unavailable' });
    const pending = lookup(proxy, token, [file(hex(2))]);
    await until(() => emu.stats().requests.v1_lookup === 1);
    emu.setFaults({ outage: 'off' });
    expect((await pending).status).toBe(200);
    expect(emu.stats().requests.v1_lookup).toBe(2);
  });

  it('opens the circuit after consecutive failures, refuses at once while open, probes half-open and closes', async () => {
    proxy = await startTestProxy(sc, emu.url, { BREAKER_FAILURES: '2', BREAKER_RESET_MS: '2000', UPSTREAM_RETRIES: '0' });
    emu.setFaults({ outage: 'unavailable' });
    expect((await lookup(proxy, token, [file(hex(10))])).status).toBe(502);
    expect((await lookup(proxy, token, [file(hex(11))])).status).toBe(502);
    expect(await metricValue(proxy, 'ksn_proxy_circuit_state')).toBe(1);
    const asked = emu.stats().requests.v1_lookup;
    const t0 = Date.now();
    const refused = await lookup(proxy, token, [file(hex(12))]);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: 'upstream_error' });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(emu.stats().requests.v1_lookup).toBe(asked); // not asked while open
    emu.setFaults({ outage: 'off' });
    await until(async () => (await metricValue(proxy!, 'ksn_proxy_circuit_state')) === 2, 4000);
    expect((await lookup(proxy, token, [file(hex(13))])).status).toBe(200);
    expect(await metricValue(proxy, 'ksn_proxy_circuit_state')).toBe(0);
  }, 15_000);

  it('never over-asks a metered upstream: quota spent → stale if cached, else 429 upstream_quota', async () => {
    proxy = await startTestProxy(sc, emu.url, { UPSTREAM_QUOTA_PER_SECOND: '1', UPSTREAM_QUOTA_BURST: '1', TTL_MALICIOUS_SECONDS: '0' });
    expect((await lookup(proxy, token, [file(EICAR)])).status).toBe(200); // the one token
    const stale = (await (await lookup(proxy, token, [file(EICAR)])).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale' });
    const refused = await lookup(proxy, token, [file(hex(20))]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'upstream_quota' });
    expect(emu.stats().requests.v1_lookup).toBe(1);
    expect(await metricValue(proxy, 'ksn_proxy_upstream_quota_throttled_total')).toBe(2);
    expect(await metricValue(proxy, 'ksn_proxy_upstream_quota_tokens')).toBeLessThan(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await lookup(proxy, token, [file(hex(20))])).status).toBe(200);
  });

  it('replaces a cached verdict within seconds of an upstream change and reports it in the heartbeat', async () => {
    proxy = await startTestProxy(sc, emu.url, { CHANGE_FEED_WAIT_SECONDS: '5' });
    const key = `sha256:${hex(30)}`;
    emu.setVerdict(key, 'unknown');
    expect(((await (await lookup(proxy, token, [file(hex(30))])).json()) as LookupResponse).results[0]).toMatchObject({ verdict: 'unknown', source: 'upstream' });
    await until(() => emu.stats().changeFeedWaiting > 0);
    emu.setVerdict(key, 'malicious');
    await until(() => proxy!.cache.peek(key)?.verdict === 'malicious', 3000);
    const after = (await (await lookup(proxy, token, [file(hex(30))])).json()) as LookupResponse;
    expect(after.results[0]).toMatchObject({ verdict: 'malicious', decision: 'block', source: 'cache' });
    expect(emu.asked(key)).toBe(1);
    await proxy.heartbeats.beat();
    const beat = sc.heartbeats.at(-1) as { verdictChanges?: { key: string; from: string; to: string }[] };
    expect(beat.verdictChanges).toEqual([expect.objectContaining({ key, from: 'unknown', to: 'malicious' })]);
  });

  it('in private mode answers from overrides and cache, unknown otherwise, and sends nothing', async () => {
    sc.publish((s) => (s.overrides = [{ key: `sha256:${EICAR}`, action: 'block' }]));
    proxy = await startTestProxy(sc, 'off');
    const res = (await (await lookup(proxy, token, [file(EICAR), file(hex(40))])).json()) as LookupResponse;
    expect(res.results[0]).toMatchObject({ decision: 'block', source: 'override' });
    expect(res.results[1]).toMatchObject({ verdict: 'unknown', source: 'cache', reason: 'private-mode' });
    const telemetry = await fetch(`${proxy.endpointUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ kind: 'statistics', records: [{ a: 1 }] }),
    });
    expect(telemetry.status).toBe(403);
    expect(await telemetry.json()).toMatchObject({ error: 'sending_disabled' });
    const all = emu.stats().requests as Record<string, number>;
    expect(Object.values(all).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('answers a fast 503 overloaded beyond the cap on upstream work', async () => {
    proxy = await startTestProxy(sc, emu.url, { UPSTREAM_MAX_PENDING_KEYS: '3', UPSTREAM_TIMEOUT_MS: '5000' });
    emu.setFaults({ latencyMs: 1500 });
    const slow = lookup(proxy, token, [file(hex(50)), file(hex(51)), file(hex(52))]);
    await until(() => proxy!.upstream.pendingKeys === 3);
    const t0 = Date.now();
    const over = await lookup(proxy, token, [file(hex(53))]);
    expect(over.status).toBe(503);
    expect(over.headers.get('retry-after')).toBe('1');
    expect(await over.json()).toMatchObject({ error: 'overloaded' });
    expect(Date.now() - t0).toBeLessThan(1000); // not after the upstream's 1.5 s
    // Asking for a key already in flight costs nothing and is not refused.
    expect((await lookup(proxy, token, [file(hex(50))])).status).toBe(200);
    expect((await slow).status).toBe(200);
  });

  it('keeps batches to the pool size: misses that arrive while every connection is busy leave together, none time out queued', async () => {
    proxy = await startTestProxy(sc, emu.url, { UPSTREAM_CONNECTIONS: '1', UPSTREAM_TIMEOUT_MS: '2500', UPSTREAM_RETRIES: '0', CHANGE_FEED_WAIT_SECONDS: '30' });
    // The change feed (started by the first answer) long-polls on its own connection: the one lookup connection stays free.
    expect((await lookup(proxy, token, [file(hex(59))])).status).toBe(200);
    await until(() => emu.stats().changeFeedWaiting > 0);
    emu.setFaults({ latencyMs: 1500 });
    const first = lookup(proxy, token, [file(hex(60))]);
    await until(() => proxy!.upstream.pendingKeys === 1);
    const later: Promise<Response>[] = [];
    for (let i = 61; i <= 65; i++) {
      later.push(lookup(proxy, token, [file(hex(i))]));
      await new Promise((r) => setTimeout(r, 20)); // each past the batch window: alone, it would be a batch of its own
    }
    // Queued for a connection, five one-key batches would wait 1.5 s and then take 1.5 s: past the 2.5 s timeout.
    const answers = await Promise.all([first, ...later]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(emu.stats().requests.v1_lookup).toBe(3);
  });
});
