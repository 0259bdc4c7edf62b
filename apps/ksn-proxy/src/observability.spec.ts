/** Metrics (promtool), heartbeat insights, the traffic log and its rotation, readiness and graceful shutdown. */
import type { LookupResponse } from '@ksn/contracts';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createLogger } from '@ksn/service-kit';
import { file, lookup, metricValue, startTestProxy, tempDir, until, useRig } from '../test/rig';
import { TrafficLog } from './traffic';

const hex = (n: number) => n.toString(16).padStart(64, '0');
const PROMTOOL = '/usr/bin/promtool';

describe('ksn-proxy observability', () => {
  const rig = useRig();

  it('serves /metrics that pass promtool check metrics, with the contract names', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    await lookup(rig.proxy, rig.token, [file(hex(1))]);
    const text = await (await fetch(`${rig.proxy.adminUrl}/metrics`)).text();
    for (const name of [
      'ksn_proxy_circuit_state 0',
      'ksn_proxy_upstream_quota_tokens -1',
      'ksn_proxy_upstream_quota_throttled_total 0',
      'ksn_proxy_spool_bytes 0',
      'ksn_proxy_spool_records 0',
      'ksn_proxy_spool_dropped_total 0',
      'ksn_proxy_telemetry_total{outcome="spooled"} 0',
    ]) {
      expect(text).toContain(name);
    }
    if (!existsSync(PROMTOOL) && process.env['KSN_REQUIRE_PROMTOOL'] !== '1') {
      // Said loudly rather than passing quietly: this run did not check the exposition format.
      console.warn(`SKIPPED promtool check: ${PROMTOOL} is not installed`);
      return;
    }
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('counts every upstream request by route: lookups, telemetry (forwarded and from the spool) and change-feed polls', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      CHANGE_FEED_WAIT_SECONDS: '1',
      SPOOL_RETRY_MS: '100',
    });
    const p = rig.proxy;
    const m = (line: string) => metricValue(p, line).then((v) => v ?? 0);
    const requests = (route: string, outcome: string) =>
      m(`ksn_proxy_upstream_requests_total{route="${route}",outcome="${outcome}"}`);
    const telemetry = (n: number) =>
      fetch(`${p.endpointUrl}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
        body: JSON.stringify({ kind: 'statistics', records: [{ n }] }),
      });
    const bodyBytes = JSON.stringify({ kind: 'statistics', records: [{ n: 1 }] }).length;

    expect((await lookup(p, rig.token, [file(hex(7))])).status).toBe(200);
    expect(await requests('lookup', 'success')).toBe(1);
    // The first lookup starts the change feed: its polls count, their long waits are not timed.
    await until(async () => (await requests('changes', 'success')) >= 1);
    expect(await m('ksn_proxy_upstream_request_duration_seconds_count{route="changes"}')).toBe(0);

    const sentBefore = await m('ksn_proxy_upstream_bytes_total{direction="sent"}');
    const receivedBefore = await m('ksn_proxy_upstream_bytes_total{direction="received"}');
    expect((await telemetry(1)).status).toBe(202);
    expect(await requests('telemetry', 'success')).toBe(1);
    expect(await m('ksn_proxy_upstream_request_duration_seconds_count{route="telemetry"}')).toBe(1);
    expect(await m('ksn_proxy_upstream_bytes_total{direction="sent"}')).toBe(sentBefore + bodyBytes);
    expect(await m('ksn_proxy_upstream_bytes_total{direction="received"}')).toBeGreaterThan(receivedBefore);

    // Refused by the upstream (503): spooled; then delivered from the spool.
    rig.emu.setFaults({ outage: 'unavailable' });
    expect(await (await telemetry(2)).json()).toMatchObject({ spooled: true });
    expect(await requests('telemetry', 'error')).toBe(1);
    rig.emu.setFaults({ outage: 'off' });
    await until(() => p.spool.size === 0);
    expect(await requests('telemetry', 'success')).toBe(2);
    expect(await m('ksn_proxy_upstream_request_duration_seconds_count{route="telemetry"}')).toBe(3);
  });

  it('says how long ago security-center last answered: small while it answers, growing once it is gone', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    const syncAge = async () =>
      Number(
        /^ksn_proxy_policy_sync_age_seconds (\S+)$/m.exec(
          await (await fetch(`${rig.proxy!.adminUrl}/metrics`)).text(),
        )?.[1],
      );
    await new Promise((r) => setTimeout(r, 300));
    expect(await syncAge()).toBeLessThan(1);
    await rig.sc.close();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await syncAge()).toBeGreaterThanOrEqual(1.2);
    // Still serving with the snapshot it has.
    expect((await lookup(rig.proxy, rig.token, [file(hex(2))])).status).toBe(200);
  });

  it('reports unknown objects with their devices and application-control rule hits in the heartbeat', async () => {
    const ruled = hex(2);
    const tested = hex(3);
    rig.emu.setVerdict(`sha256:${ruled}`, 'clean');
    rig.emu.setVerdict(`sha256:${tested}`, 'clean');
    rig.emu.setVerdict(`sha256:${hex(4)}`, 'unknown');
    rig.sc.publish((s) => {
      s.groups[0]!.policy = {
        ...s.groups[0]!.policy,
        appControl: {
          mode: 'default-allow',
          testMode: false,
          rules: [
            { id: 'r-block', action: 'block', status: 'on', match: { kind: 'hash', sha256: ruled } },
            { id: 'r-test', action: 'block', status: 'test', match: { kind: 'hash', sha256: tested } },
          ],
        },
      };
    });
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    const res = (await (
      await lookup(rig.proxy, rig.token, [file(ruled), file(tested), file(hex(4))])
    ).json()) as LookupResponse;
    expect(res.results.map((r) => [r.decision, r.reason])).toEqual([
      ['block', 'rule:r-block'],
      ['audit', 'rule:r-test'],
      ['allow', undefined],
    ]);
    await lookup(rig.proxy, rig.sc.token('dev-2'), [file(ruled), file(hex(4))]);
    await rig.proxy.heartbeats.beat();
    const beat = rig.sc.heartbeats.at(-1) as {
      unknownObjects: { key: string; deviceIds: string[] }[];
      ruleHits: { groupId: string; ruleId: string; hits: number }[];
    };
    expect(beat.unknownObjects).toEqual([
      expect.objectContaining({ key: `sha256:${hex(4)}`, deviceIds: ['dev-1', 'dev-2'] }),
    ]);
    expect((beat as unknown as { activeDevices: string[] }).activeDevices).toEqual(['dev-1', 'dev-2']);
    expect(beat.ruleHits).toEqual(
      expect.arrayContaining([
        { groupId: 'g1', ruleId: 'r-block', hits: 2 },
        { groupId: 'g1', ruleId: 'r-test', hits: 1 },
      ]),
    );
  });

  it('keeps what a failed heartbeat carried and sends it merged with the next one', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    rig.emu.setVerdict(`sha256:${hex(5)}`, 'unknown');
    await lookup(rig.proxy, rig.token, [file(hex(5))]);
    rig.sc.down = true;
    await rig.proxy.heartbeats.beat();
    await lookup(rig.proxy, rig.sc.token('dev-9'), [file(hex(5))]);
    rig.sc.down = false;
    await rig.proxy.heartbeats.beat();
    const beat = rig.sc.heartbeats.at(-1) as {
      counters: { lookups: number };
      unknownObjects: { deviceIds: string[] }[];
      traffic: { kind: string; items: number }[];
    };
    expect(beat.counters.lookups).toBe(2);
    expect(beat.unknownObjects[0]!.deviceIds.sort()).toEqual(['dev-1', 'dev-9']);
    expect(beat.traffic).toContainEqual(expect.objectContaining({ kind: 'lookup', items: 1 }));
  });

  it('answers /readyz with the snapshot, and 503 while draining on close', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    const ready = await fetch(`${rig.proxy.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', snapshotVersion: 1 });
    // A slow in-flight lookup finishes although close() began while it ran.
    rig.emu.setFaults({ latencyMs: 300 });
    const inflight = lookup(rig.proxy, rig.token, [file(hex(6))]);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const closing = rig.proxy.close();
    expect((await fetch(`${rig.proxy.adminUrl}/readyz`)).status).toBe(503);
    expect((await inflight).status).toBe(200);
    await closing;
    expect(Date.now() - t0).toBeLessThan(2000);
    rig.proxy = undefined;
  });
});

describe(TrafficLog.name, () => {
  it('writes JSON lines and rotates by size, keeping a few files', async () => {
    const dir = tempDir();
    const log = new TrafficLog({
      dataDir: dir,
      maxBytes: 1024,
      files: 2,
      log: createLogger('t', { write: () => undefined }),
    });
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10; i++) log.record('lookup', i, 100, 200, Date.UTC(2026, 0, 1, 0, round));
      await log.flush();
    }
    const current = readFileSync(log.file, 'utf8').trim().split('\n');
    expect(JSON.parse(current[0]!)).toEqual({
      time: expect.any(String) as string,
      kind: 'lookup',
      items: 0,
      bytesSent: 100,
      bytesReceived: 200,
    });
    expect(existsSync(`${log.file}.1`)).toBe(true);
    expect(existsSync(`${log.file}.2`)).toBe(true);
    expect(existsSync(`${log.file}.3`)).toBe(false);
    const rows = log.drain();
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({
      minute: '2026-01-01T00:00:00.000Z',
      kind: 'lookup',
      requests: 10,
      items: 45,
      bytesSent: 1000,
      bytesReceived: 2000,
    });
    await log.close();
  });
});
