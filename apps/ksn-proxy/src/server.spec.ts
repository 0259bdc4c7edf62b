import type { LookupResponse, LookupResult } from '@ksn/contracts';
import { createLogger } from '@ksn/service-kit';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeSecurityCenter, FakeUpstream, PROXY_KEY } from '../test/fakes';
import { loadConfig } from './config';
import { startProxy, type RunningProxy } from './server';

const EICAR = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const quiet = createLogger('ksn-proxy', { write: () => undefined });

async function startTestProxy(
  sc: FakeSecurityCenter,
  up: FakeUpstream,
  dataDir = mkdtempSync(join(tmpdir(), 'ksn-proxy-')),
  env: Record<string, string> = {},
) {
  const config = loadConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    KSN_UPSTREAM_URL: up.url,
    SECURITY_CENTER_URL: sc.url,
    PROXY_API_KEY: PROXY_KEY,
    DATA_DIR: dataDir,
    HEARTBEAT_INTERVAL_MS: '100',
    UPSTREAM_TIMEOUT_MS: '500',
    ...env,
  });
  const proxy = await startProxy(config, quiet);
  await until(() => proxy.store.current !== undefined);
  return { proxy, dataDir };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function post(proxy: RunningProxy, token: string | undefined, body: unknown) {
  return fetch(`${proxy.endpointUrl}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}

describe('ksn-proxy', () => {
  let sc: FakeSecurityCenter;
  let up: FakeUpstream;
  let proxy: RunningProxy;
  let token: string;

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    up = await new FakeUpstream().start();
    up.verdicts.set(`sha256:${EICAR}`, { verdict: 'malicious' });
    ({ proxy } = await startTestProxy(sc, up));
    token = sc.token();
  });
  afterEach(async () => {
    await proxy.close();
    await sc.close();
    await up.close();
  });

  it('answers from the upstream, then from the cache, asking the upstream once', async () => {
    const body = { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR.toUpperCase() }] };
    const first = (await (await post(proxy, token, body)).json()) as LookupResponse;
    expect(first.results).toEqual([
      { key: `sha256:${EICAR}`, verdict: 'malicious', decision: 'block', source: 'upstream', ttl: 86400 },
    ]);
    const second = (await (await post(proxy, token, body)).json()) as LookupResponse;
    expect(second.results[0]).toMatchObject({ source: 'cache', verdict: 'malicious' });
    expect(up.asked(`sha256:${EICAR}`)).toBe(1);
  });

  it('coalesces 1,000 concurrent asks for one absent key into one upstream question', async () => {
    up.delayMs = 100;
    const key = 'a'.repeat(64);
    const responses = await Promise.all(
      Array.from({ length: 1000 }, () =>
        post(proxy, token, { module: 'file-threat-protection', items: [{ type: 'file', sha256: key }] }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(up.asked(`sha256:${key}`)).toBe(1);
  }, 20_000);

  it('packs the misses of one request into one batch, in request order', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      type: 'file',
      md5: i.toString(16).padStart(32, '0'),
    }));
    const res = (await (
      await post(proxy, token, { module: 'file-threat-protection', items })
    ).json()) as LookupResponse;
    expect(res.results.map((r) => r.key)).toEqual(items.map((i) => `md5:${i.md5}`));
    expect(up.batches).toHaveLength(1);
  });

  it('refuses missing and bad tokens with 401, malformed input with 400 naming the field', async () => {
    const body = { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] };
    expect((await post(proxy, undefined, body)).status).toBe(401);
    const bad = await post(proxy, token.slice(0, -4) + 'AAAA', body);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_token' });
    const malformed = await post(proxy, token, {
      module: 'file-threat-protection',
      items: [{ type: 'file', sha256: 'zz' }],
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request', field: 'items[0].sha256' });
    const twoHashes = await post(proxy, token, {
      module: 'file-threat-protection',
      items: [{ type: 'file', md5: '0'.repeat(32), sha1: '0'.repeat(40) }],
    });
    expect(await twoHashes.json()).toMatchObject({ error: 'invalid_request', field: 'items[0]' });
    // The field names the item by its position, for each way an item can be wrong.
    const ok = { type: 'file', sha256: EICAR };
    for (const [item, field] of [
      [{ type: 'file' }, 'items[1]'],
      [{ type: 'url', url: 'https://a/', md5: '0'.repeat(32) }, 'items[1].url'],
      [{ type: 'url', url: 'ftp://a/' }, 'items[1].url'],
    ] as const) {
      const refused = await post(proxy, token, { module: 'file-threat-protection', items: [ok, item] });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: 'invalid_request', field });
    }
    const tooMany = await post(proxy, token, {
      module: 'file-threat-protection',
      items: Array.from({ length: 1001 }, () => ({ type: 'url', url: 'https://a/' })),
    });
    expect(tooMany.status).toBe(400);
    expect(up.batches).toHaveLength(0);
  });

  it('refuses a module whose cloud use is off, and follows a new snapshot', async () => {
    sc.publish((s) => {
      s.groups[0]!.policy = {
        ...s.groups[0]!.policy,
        cloud: { modules: { ...s.groups[0]!.policy.cloud.modules, 'web-threat-protection': false } },
      };
      s.overrides = [{ key: 'url:https://blocked.example/', action: 'block' }];
    });
    await until(() => proxy.store.current?.version === 2);
    const off = await post(proxy, token, {
      module: 'web-threat-protection',
      items: [{ type: 'url', url: 'https://blocked.example/' }],
    });
    expect(off.status).toBe(403);
    expect(await off.json()).toMatchObject({ error: 'cloud_disabled_for_module' });
    const res = (await (
      await post(proxy, token, {
        module: 'anti-spam',
        items: [{ type: 'url', url: 'HTTPS://BLOCKED.example:443/#x' }],
      })
    ).json()) as LookupResponse;
    expect(res.results[0]).toMatchObject({
      key: 'url:https://blocked.example/',
      decision: 'block',
      source: 'override',
    });
    expect(up.batches).toHaveLength(0);
  });

  it('refuses revoked devices once the snapshot says so', async () => {
    sc.publish((s) => (s.revoked = [{ deviceId: 'dev-1', at: new Date().toISOString() }]));
    await until(() => proxy.store.current?.version === 2);
    const res = await post(proxy, token, {
      module: 'file-threat-protection',
      items: [{ type: 'file', sha256: EICAR }],
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'device_revoked' });
  });

  it('serves stale verdicts while the upstream fails, and 502 when nothing is cached', async () => {
    await proxy.close();
    ({ proxy } = await startTestProxy(sc, up, undefined, { TTL_MALICIOUS_SECONDS: '0' }));
    const body = { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] };
    expect(((await (await post(proxy, token, body)).json()) as LookupResponse).results[0]!.source).toBe(
      'upstream',
    );
    up.mode = 'fail';
    const stale = (await (await post(proxy, token, body)).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale', verdict: 'malicious', decision: 'block' });
    const none = await post(proxy, token, {
      module: 'file-threat-protection',
      items: [{ type: 'file', sha256: 'b'.repeat(64) }],
    });
    expect(none.status).toBe(502);
    expect(await none.json()).toMatchObject({ error: 'upstream_error' });
  });

  it('answers GET /v1/files/{hash} and GET /v1/policy', async () => {
    const file = await fetch(`${proxy.endpointUrl}/v1/files/${EICAR}?module=file-threat-protection`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await file.json()) as LookupResult).toMatchObject({ verdict: 'malicious', decision: 'block' });
    // The module parameter however it is written: alone, among others, percent-encoded; unknown ones are a 400.
    for (const query of ['?x=1&module=file-threat-protection', '?module=file%2Dthreat-protection', '']) {
      const res = await fetch(`${proxy.endpointUrl}/v1/files/${EICAR}${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([query, res.status]).toEqual([query, 200]);
    }
    const unknownModule = await fetch(`${proxy.endpointUrl}/v1/files/${EICAR}?module=bogus`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await unknownModule.json()).toMatchObject({ error: 'invalid_request', field: 'module' });
    const bad = await fetch(`${proxy.endpointUrl}/v1/files/not-a-hash`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(400);
    const badEscape = await fetch(`${proxy.endpointUrl}/v1/files/%E0%A4%A`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(badEscape.status).toBe(400);
    expect(await badEscape.json()).toMatchObject({ error: 'invalid_request', field: 'hash' });
    const policy = await fetch(`${proxy.endpointUrl}/v1/policy`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await policy.json()).toMatchObject({
      deviceId: 'dev-1',
      groupId: 'g1',
      snapshotVersion: 1,
      policy: { ksn: { participation: 'extended' } },
    });
  });

  it('is not an open proxy: absolute-form and //host targets are refused', async () => {
    const { request } = await import('node:http');
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(proxy.endpointUrl);
        request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await status('http://example.com/v1/policy')).toBe(400);
    expect(await status('//example.com/v1/policy')).toBe(400);
    expect(up.batches).toHaveLength(0);
  });

  it('exports the contract metrics and heartbeats its counters', async () => {
    await post(proxy, token, { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] });
    await post(proxy, token, { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] });
    const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    for (const name of [
      'ksn_proxy_requests_total',
      'ksn_proxy_request_duration_seconds',
      'ksn_proxy_lookup_items_total',
      'ksn_proxy_upstream_requests_total',
      'ksn_proxy_upstream_bytes_total',
      'ksn_proxy_bytes_saved_total',
      'ksn_proxy_cache_entries 1',
      'ksn_proxy_policy_snapshot_version 1',
      'ksn_proxy_telemetry_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain(
      'ksn_proxy_lookup_items_total{module="file-threat-protection",source="cache",verdict="malicious"} 1',
    );
    // A batch's items are counted by their own source and verdict, whatever their order.
    const other = 'ab'.repeat(32); // unknown to the upstream
    const file = (sha256: string) => ({ type: 'file', sha256 });
    await post(proxy, token, { module: 'file-threat-protection', items: [file(other)] });
    await post(proxy, token, {
      module: 'file-threat-protection',
      items: [file(EICAR), file(EICAR), file(other), file(EICAR), file(other)],
    });
    const after = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(after).toContain(
      'ksn_proxy_lookup_items_total{module="file-threat-protection",source="cache",verdict="malicious"} 4',
    );
    expect(after).toContain(
      'ksn_proxy_lookup_items_total{module="file-threat-protection",source="upstream",verdict="unknown"} 1',
    );
    expect(after).toContain(
      'ksn_proxy_lookup_items_total{module="file-threat-protection",source="cache",verdict="unknown"} 2',
    );
    await until(() =>
      sc.heartbeats.some((b) => (b as { counters: { cacheHits: number } }).counters.cacheHits > 0),
    );
    expect((await fetch(`${proxy.adminUrl}/readyz`)).status).toBe(200);
  });

  it('keeps serving with the persisted snapshot while security-center is down, and survives a corrupt file', async () => {
    await proxy.close();
    const dataDir = mkdtempSync(join(tmpdir(), 'ksn-proxy-'));
    ({ proxy } = await startTestProxy(sc, up, dataDir));
    sc.publish(() => undefined); // v2, so that a .prev (v1) exists
    await until(() => proxy.store.current?.version === 2);
    await proxy.close();
    sc.down = true;
    ({ proxy } = await startTestProxy(sc, up, dataDir));
    expect(proxy.store.current?.version).toBe(2);
    expect(
      (
        await post(proxy, token, {
          module: 'file-threat-protection',
          items: [{ type: 'file', sha256: EICAR }],
        })
      ).status,
    ).toBe(200);
    await proxy.close();
    const file = join(dataDir, 'snapshot.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 100)); // truncated
    ({ proxy } = await startTestProxy(sc, up, dataDir));
    expect(proxy.store.current?.version).toBe(1);
  });
});
