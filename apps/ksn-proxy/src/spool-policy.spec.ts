/**
 * Spooled telemetry and the policy in force when it is delivered: a record accepted while
 * sending was on is not delivered once the policy of its group turned sending off (or the
 * group is gone); it is deleted and counted as blocked by policy. The delivery side is
 * built the way server.ts builds it, against the real cloud emulator and a real
 * (fake) security-center.
 */
import { zeroCounters, type PolicySettings } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from '@ksn/policy-engine';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROXY_KEY } from '../test/fakes';
import { quiet, startTestProxy, tempDir, useRig } from '../test/rig';
import { loadConfig, type Config } from './config';
import { ProxyMetrics } from './metrics';
import { PolicyStore } from './policy-store';
import { TelemetrySpool } from './spool';
import { spoolDelivery } from './telemetry';
import { TrafficLog } from './traffic';
import { Upstream } from './upstream';

jest.setTimeout(20_000);

const withSending = (sending: Partial<PolicySettings['ksn']['sending']>): PolicySettings => ({
  ...DEFAULT_SETTINGS,
  ksn: { ...DEFAULT_SETTINGS.ksn, sending: { ...DEFAULT_SETTINGS.ksn.sending, ...sending } },
});

/** The snapshot store, metrics, counters and spool of a proxy, wired as server.ts wires them. */
async function startDelivery(config: Config) {
  const store = new PolicyStore({
    securityCenterUrl: config.SECURITY_CENTER_URL,
    apiKey: config.PROXY_API_KEY,
    dataDir: config.DATA_DIR,
    log: quiet,
  });
  await store.loadFromDisk();
  await store.pullOnce(0);
  const counters = zeroCounters();
  const traffic = new TrafficLog({
    dataDir: config.DATA_DIR,
    maxBytes: config.TRAFFIC_LOG_MAX_BYTES,
    files: config.TRAFFIC_LOG_FILES,
    log: quiet,
  });
  const spoolRef: { spool?: TelemetrySpool } = {};
  const metrics = new ProxyMetrics({
    cacheEntries: () => 0,
    snapshotVersion: () => store.current?.version ?? 0,
    snapshotAge: () => 0,
    syncAge: () => 0,
    circuitState: () => 0,
    quotaTokens: () => 0,
    spoolBytes: () => spoolRef.spool?.bytes ?? 0,
    spoolRecords: () => spoolRef.spool?.size ?? 0,
  });
  const upstream = new Upstream(
    {
      url: config.KSN_UPSTREAM_URL,
      token: config.UPSTREAM_API_KEY,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      connections: config.UPSTREAM_CONNECTIONS,
      batchMaxKeys: config.BATCH_MAX_KEYS,
      batchFlushKeys: config.BATCH_FLUSH_KEYS,
      batchWindowMs: config.BATCH_WINDOW_MS,
      retries: config.UPSTREAM_RETRIES,
      retryBackoffMs: config.UPSTREAM_RETRY_BACKOFF_MS,
      breakerFailures: config.BREAKER_FAILURES,
      breakerResetMs: config.BREAKER_RESET_MS,
      quotaPerSecond: config.UPSTREAM_QUOTA_PER_SECOND,
      quotaBurst: config.UPSTREAM_QUOTA_BURST,
    },
    metrics,
    traffic,
  );
  const telemetryTarget = {
    url: config.KSN_UPSTREAM_URL,
    token: config.UPSTREAM_API_KEY,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  };
  const spool = new TelemetrySpool({
    dir: join(config.DATA_DIR, 'spool'),
    maxBytes: config.SPOOL_MAX_BYTES,
    retryMs: config.SPOOL_RETRY_MS,
    // What server.ts passes, with the policy in force at delivery time.
    deliver: spoolDelivery(telemetryTarget, {
      metrics,
      counters,
      traffic,
      upstream,
      snapshot: () => store.current,
    }),
    onDropped: () => metrics.spoolDropped.inc(),
    log: quiet,
  });
  spoolRef.spool = spool;
  await spool.open();
  const metric = async (line: string) => {
    const text = await metrics.registry.metrics();
    const found = text.split('\n').find((l) => l.startsWith(line + ' '));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  };
  return {
    store,
    spool,
    counters,
    metric,
    async close() {
      store.stop();
      await spool.close();
      await traffic.close();
      await upstream.close();
    },
  };
}

describe('ksn-proxy spooled telemetry and the policy at delivery', () => {
  const rig = useRig();
  let delivery: Awaited<ReturnType<typeof startDelivery>> | undefined;
  afterEach(async () => {
    await delivery?.close();
    delivery = undefined;
  });

  const configFor = (dataDir: string) =>
    loadConfig({
      KSN_UPSTREAM_URL: rig.emu.url,
      SECURITY_CENTER_URL: rig.sc.url,
      PROXY_API_KEY: PROXY_KEY,
      DATA_DIR: dataDir,
      UPSTREAM_TIMEOUT_MS: '1000',
    });

  /** Spools `bodies` through a real proxy (the upstream is out), then stops it: the records stay on disk. */
  async function spoolThroughProxy(bodies: unknown[]): Promise<string> {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { SPOOL_RETRY_MS: '600000' });
    rig.emu.setFaults({ outage: 'unavailable' });
    for (const body of bodies) {
      const res = await fetch(`${rig.proxy.endpointUrl}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(202);
    }
    const dataDir = dirname(rig.proxy.traffic.file);
    await rig.proxy.close();
    rig.proxy = undefined;
    rig.emu.setFaults({ outage: 'off' });
    expect(readdirSync(join(dataDir, 'spool'))).toHaveLength(bodies.length);
    return dataDir;
  }

  it('drops a spooled record once its group turned sending of its kind off, counted as blocked by policy', async () => {
    const dataDir = await spoolThroughProxy([
      { kind: 'statistics', records: [{ n: 1 }] },
      { kind: 'urls', records: [{ n: 2 }] },
    ]);
    // After acceptance, the admin turns sending statistics off for the device's group.
    rig.sc.publish((s) => (s.groups[0]!.policy = withSending({ statistics: false })));
    delivery = await startDelivery(configFor(dataDir));
    expect(delivery.store.current?.version).toBe(2);
    await delivery.spool.deliver();
    expect(delivery.spool.size).toBe(0);
    expect(readdirSync(join(dataDir, 'spool'))).toHaveLength(0);
    // Only the still-permitted record left the network.
    expect(rig.emu.stats().telemetryRequests).toBe(1);
    const sent = JSON.stringify(await (await fetch(`${rig.emu.url}/admin/telemetry`)).json());
    expect(sent).toContain('"kind":"urls"');
    expect(sent).not.toContain('"kind":"statistics"');
    expect(delivery.counters.telemetryBlocked).toBe(1);
    expect(delivery.counters.telemetryForwarded).toBe(1);
    expect(await delivery.metric('ksn_proxy_telemetry_total{outcome="blocked_by_policy"}')).toBe(1);
    expect(await delivery.metric('ksn_proxy_telemetry_total{outcome="forwarded"}')).toBe(1);
    expect(await delivery.metric('ksn_proxy_spool_dropped_total')).toBe(0);
  });

  it('drops a spooled record whose group is gone from the snapshot', async () => {
    const dataDir = await spoolThroughProxy([{ kind: 'statistics', records: [{ n: 1 }] }]);
    rig.sc.publish((s) => (s.groups = [{ ...s.groups[0]!, id: 'g2' }]));
    delivery = await startDelivery(configFor(dataDir));
    await delivery.spool.deliver();
    expect(delivery.spool.size).toBe(0);
    expect(rig.emu.stats().telemetryRequests).toBe(0);
    expect(delivery.counters.telemetryBlocked).toBe(1);
  });

  it('a record from before records carried their group leaves only if every group permits its kind', async () => {
    const dataDir = tempDir();
    const spoolDir = join(dataDir, 'spool');
    mkdirSync(spoolDir);
    // The old format: the body alone.
    const legacy = (seq: number, kind: string) =>
      writeFileSync(
        join(spoolDir, `${String(seq).padStart(16, '0')}-${randomUUID()}.json`),
        JSON.stringify({ kind, records: [{ seq }] }),
      );
    legacy(1, 'statistics');
    legacy(2, 'urls');
    rig.sc.publish((s) =>
      s.groups.push({ id: 'g2', name: 'Quiet', parentId: 'g1', policy: withSending({ statistics: false }) }),
    );
    delivery = await startDelivery(configFor(dataDir));
    await delivery.spool.deliver();
    expect(delivery.spool.size).toBe(0);
    // Statistics: one group refuses them, so the record may be that group's: dropped. URLs: every group permits.
    expect(rig.emu.stats().telemetryRequests).toBe(1);
    const sent = JSON.stringify(await (await fetch(`${rig.emu.url}/admin/telemetry`)).json());
    expect(sent).toContain('"kind":"urls"');
    expect(delivery.counters.telemetryBlocked).toBe(1);
    expect(delivery.counters.telemetryForwarded).toBe(1);
  });

  it('records carry their group and kind on disk (a header line before the body)', async () => {
    const dataDir = await spoolThroughProxy([{ kind: 'urls', records: [{ n: 1 }] }]);
    const [name] = readdirSync(join(dataDir, 'spool'));
    const text = readFileSync(join(dataDir, 'spool', name!), 'utf8');
    expect(text).toBe(`KSN-SPOOL-2 {"groupId":"g1","kind":"urls"}\n{"kind":"urls","records":[{"n":1}]}`);
  });
});
