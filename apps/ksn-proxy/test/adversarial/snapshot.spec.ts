/**
 * Security Center unreachable or lying, and the snapshot on disk damaged: the proxy keeps
 * serving with the last good snapshot, falls back to the previous file when the
 * current one is truncated or tampered with, and never crashes or serves without policy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProxy, type RunningProxy } from '../../src/server';
import { FakeSecurityCenter } from '../fakes';
import { EICAR, proxyConfig, quiet, RecordingUpstream, until } from './harness';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

describe('ksn-proxy adversarial: snapshot persistence', () => {
  let sc: FakeSecurityCenter;
  let up: RecordingUpstream;
  let proxy: RunningProxy | undefined;
  let dataDir: string;
  const start = async () => {
    proxy = await startProxy(proxyConfig(sc, up.url, dataDir), quiet);
    return proxy;
  };
  const lookup = (p: RunningProxy) =>
    fetch(`${p.endpointUrl}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sc.token()}` },
      body: JSON.stringify({ module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] }),
    });

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    up = await new RecordingUpstream().start();
    dataDir = mkdtempSync(join(tmpdir(), 'ksn-adv-snap-'));
    // v1 then v2 persisted: snapshot.json (v2) and snapshot.json.prev (v1).
    const p = await start();
    await until(() => p.store.current?.version === 1);
    sc.publish(() => undefined);
    await until(() => p.store.current?.version === 2);
    await p.close();
    proxy = undefined;
  });
  afterEach(async () => {
    await proxy?.close();
    await sc.close().catch(() => undefined);
    await up.close();
  });

  it('security-center refusing connections: starts from disk and serves', async () => {
    await sc.close();
    const p = await start();
    expect(p.store.current?.version).toBe(2);
    expect((await lookup(p)).status).toBe(200);
    expect((await fetch(`${p.adminUrl}/readyz`)).status).toBe(200);
  });

  it.each([
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['empty', () => ''],
    [
      'tampered (valid JSON, checksum mismatch)',
      (text: string) => {
        const env = JSON.parse(text) as { sha256: string; body: string };
        return JSON.stringify({ ...env, body: env.body.replace('"version":2', '"version":99') });
      },
    ],
    ['not JSON at all', () => '\u0000\u0001binary garbage'],
  ])('a %s current file falls back to the previous snapshot', async (_name, damage) => {
    sc.down = true;
    const file = join(dataDir, 'snapshot.json');
    writeFileSync(file, damage(readFileSync(file, 'utf8')));
    const p = await start();
    expect(p.store.current?.version).toBe(1);
    expect((await lookup(p)).status).toBe(200);
  });

  it('both files damaged and security-center away: 503 unavailable (never serves without policy), then recovers when it is back', async () => {
    sc.down = true;
    for (const f of ['snapshot.json', 'snapshot.json.prev'])
      writeFileSync(join(dataDir, f), '{"sha256":"x","body":"{}"}');
    const p = await start();
    expect(p.store.current).toBeUndefined();
    const res = await lookup(p);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'unavailable' });
    expect((await fetch(`${p.adminUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${p.adminUrl}/healthz`)).status).toBe(200);
    expect(up.requests).toHaveLength(0);
    sc.down = false;
    await until(() => p.store.current !== undefined, 15_000);
    expect((await lookup(p)).status).toBe(200);
  }, 30_000);

  it('a snapshot larger than SNAPSHOT_MAX_BYTES is refused: the last good one stays, a smaller one is taken again', async () => {
    proxy = await startProxy(proxyConfig(sc, up.url, dataDir, { SNAPSHOT_MAX_BYTES: '65536' }), quiet);
    const p = proxy;
    await until(() => p.store.current?.version === 2);
    const at = new Date().toISOString();
    // Version 3: 2,000 revocations, about 130 KB of JSON.
    sc.publish(
      (s) => (s.revoked = Array.from({ length: 2000 }, (_, i) => ({ deviceId: `device-${i}`, at }))),
    );
    expect(JSON.stringify(sc.snapshot).length).toBeGreaterThan(65536);
    const asked = sc.snapshotRequests;
    await until(() => sc.snapshotRequests >= asked + 2);
    expect(p.store.current?.version).toBe(2);
    expect((await lookup(p)).status).toBe(200);
    // Version 4 fits again.
    sc.publish((s) => (s.revoked = []));
    await until(() => p.store.current?.version === 4, 15_000);
  });

  it('an endless snapshot body: the proxy hangs up at the bound and keeps serving', async () => {
    proxy = await startProxy(proxyConfig(sc, up.url, dataDir, { SNAPSHOT_MAX_BYTES: '65536' }), quiet);
    const p = proxy;
    await until(() => p.store.current?.version === 2);
    const hungUp = sc.streamEndlessly('/api/v1/proxy/snapshot');
    sc.publish(() => undefined);
    await hungUp;
    expect(p.store.current?.version).toBe(2);
    expect((await lookup(p)).status).toBe(200);
  });

  it('an older snapshot (a lagging security-center behind a load balancer) is refused: the newer one stays in force and on disk', async () => {
    const p = await start();
    await until(() => p.store.current?.version === 2);
    const older = JSON.stringify(sc.snapshot); // version 2: dev-1 not revoked yet
    sc.publish((s) => (s.revoked = [{ deviceId: 'dev-1', at: new Date().toISOString() }]));
    await until(() => p.store.current?.version === 3);
    expect((await lookup(p)).status).toBe(403);
    // From now on security-center answers with the older body, as a lagging instance would.
    let served = 0;
    sc.intercept = (req, res) => {
      if (!req.url?.startsWith('/api/v1/proxy/snapshot')) return false;
      served++;
      setTimeout(
        () => res.writeHead(200, { etag: '"v2"', 'content-type': 'application/json' }).end(older),
        50,
      );
      return true;
    };
    await until(() => served >= 3);
    expect(p.store.current?.version).toBe(3);
    const refused = await lookup(p);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'device_revoked' });
    const persisted = JSON.parse(readFileSync(join(dataDir, 'snapshot.json'), 'utf8')) as { body: string };
    expect((JSON.parse(persisted.body) as { version: number }).version).toBe(3);
    // The lagging instance catches up: a newer version is taken as usual.
    sc.intercept = undefined;
    sc.publish(() => undefined);
    await until(() => p.store.current?.version === 4);
  });

  it('a malformed snapshot from security-center is refused: the last good one stays in force and on disk', async () => {
    const p = await start();
    await until(() => p.store.current?.version === 2);
    // Version 3 with a group whose policy is not a policy.
    sc.publish((s) => {
      (s.groups[0] as unknown as { policy: unknown }).policy = 'not a policy';
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(p.store.current?.version).toBe(2);
    expect((await lookup(p)).status).toBe(200);
    const persisted = JSON.parse(readFileSync(join(dataDir, 'snapshot.json'), 'utf8')) as { body: string };
    expect((JSON.parse(persisted.body) as { version: number }).version).toBe(2);
  });
});
