/** POST /v1/telemetry and POST /v1/token/refresh: policy, forwarding (http-proxy), hop-by-hop, spool. */
import { listen, serverUrl } from '@ksn/service-kit';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { FakeSecurityCenter } from '../test/fakes';
import { metricValue, startTestProxy, until, useRig } from '../test/rig';
import type { RunningProxy } from './server';

function send(
  proxy: RunningProxy,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${proxy.endpointUrl}/v1/telemetry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const stats = { kind: 'statistics', records: [{ detections: 3 }, { detections: 1 }] };

describe('ksn-proxy telemetry', () => {
  // The emulator's default share of urgent verdicts, as before.
  const rig = useRig({ urgent: undefined });

  async function uploads(): Promise<
    { idempotencyKey?: string; headers: IncomingHttpHeaders; records: number }[]
  > {
    return (
      (await (await fetch(`${rig.emu.url}/admin/telemetry`)).json()) as {
        records: { idempotencyKey?: string; headers: IncomingHttpHeaders; records: number }[];
      }
    ).records;
  }

  it('forwards permitted telemetry with an Idempotency-Key and without the device identity', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    const res = await send(rig.proxy, rig.token, stats, { 'x-device-id': 'dev-1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicate: false });
    const list = await uploads();
    expect(list).toHaveLength(1);
    const up = list[0]!;
    expect(up.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(up.headers['authorization']).toBeUndefined();
    expect(up.headers['x-device-id']).toBeUndefined();
    expect(up.records).toBe(2);
    expect(await metricValue(rig.proxy, 'ksn_proxy_telemetry_total{outcome="forwarded"}')).toBe(1);
    await rig.proxy.traffic.flush();
    const log = readFileSync(rig.proxy.traffic.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log).toContainEqual(expect.objectContaining({ kind: 'telemetry', items: 2 }));
    await rig.proxy.heartbeats.beat();
    const beat = rig.sc.heartbeats.at(-1) as {
      counters: { telemetryForwarded: number };
      traffic?: { kind: string; requests: number; items: number }[];
    };
    expect(beat.counters.telemetryForwarded).toBe(1);
    expect(beat.traffic).toContainEqual(
      expect.objectContaining({ kind: 'telemetry', requests: 1, items: 2 }),
    );
  });

  it('refuses with 403 sending_disabled, counted and never forwarded, when the policy says so', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    rig.sc.publish(
      (s) =>
        (s.groups[0]!.policy = {
          ...s.groups[0]!.policy,
          ksn: {
            participation: 'extended',
            sending: { statistics: true, detectedObjects: true, urls: false },
          },
        }),
    );
    await until(() => rig.proxy!.store.current?.version === 2);
    const urls = await send(rig.proxy, rig.token, { kind: 'urls', records: [{ url: 'https://a/' }] });
    expect(urls.status).toBe(403);
    expect(await urls.json()).toMatchObject({ error: 'sending_disabled' });
    expect((await send(rig.proxy, rig.token, stats)).status).toBe(202);
    for (const participation of ['basic', 'off'] as const) {
      const v = rig.proxy.store.current!.version + 1;
      rig.sc.publish(
        (s) =>
          (s.groups[0]!.policy = {
            ...s.groups[0]!.policy,
            ksn: { participation, sending: { statistics: true, detectedObjects: true, urls: true } },
          }),
      );
      await until(() => rig.proxy!.store.current?.version === v);
      const refused = await send(rig.proxy, rig.token, stats);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'sending_disabled' });
    }
    expect(rig.emu.stats().telemetryRequests).toBe(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_telemetry_total{outcome="blocked_by_policy"}')).toBe(3);
  });

  it('answers 400 naming the field, 415 for another type, 413 over the size cap, 401 without a token', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { MAX_BODY_BYTES: '2048' });
    const bad = await send(rig.proxy, rig.token, { kind: 'gossip', records: [{}] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', field: 'kind' });
    expect((await send(rig.proxy, rig.token, stats, { 'content-type': 'text/plain' })).status).toBe(415);
    const big = await send(rig.proxy, rig.token, { kind: 'statistics', records: [{ x: 'y'.repeat(4000) }] });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
    const anon = await fetch(`${rig.proxy.endpointUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(stats),
    });
    expect(anon.status).toBe(401);
    expect(rig.emu.stats().telemetryRequests).toBe(0);
  });

  it('spools durably while the upstream is down and delivers later, once', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { SPOOL_RETRY_MS: '100' });
    rig.emu.setFaults({ outage: 'unavailable' });
    const res = await send(rig.proxy, rig.token, stats);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, spooled: true });
    const dir = join(dirname(rig.proxy.traffic.file), 'spool');
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_spool_records')).toBe(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_telemetry_total{outcome="spooled"}')).toBe(1);
    rig.emu.setFaults({ outage: 'off' });
    await until(() => rig.proxy!.spool.size === 0, 5000);
    expect(rig.emu.stats().telemetryRequests).toBe(1);
    expect(rig.emu.stats().telemetryAccepted).toBe(2);
    expect(readdirSync(dir)).toHaveLength(0);
    expect(await metricValue(rig.proxy, 'ksn_proxy_spool_bytes')).toBe(0);
  });

  it('bounds the spool by bytes: the oldest record is dropped and counted', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, {
      SPOOL_MAX_BYTES: '1024',
      SPOOL_RETRY_MS: '100000',
    });
    rig.emu.setFaults({ outage: 'unavailable' });
    const rec = (n: number) => ({ kind: 'statistics', records: [{ n, pad: 'x'.repeat(600) }] });
    expect((await send(rig.proxy, rig.token, rec(1))).status).toBe(202);
    expect((await send(rig.proxy, rig.token, rec(2))).status).toBe(202);
    expect(rig.proxy.spool.size).toBe(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_spool_dropped_total')).toBe(1);
    rig.emu.setFaults({ outage: 'off' });
    await rig.proxy.spool.deliver();
    const list = (await (await fetch(`${rig.emu.url}/admin/telemetry`)).json()) as unknown;
    expect(JSON.stringify(list)).toContain('"n":2');
    expect(JSON.stringify(list)).not.toContain('"n":1');
  });

  it('renews a device token through security-center, passing its refusals on', async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url);
    const refresh = (body: unknown) =>
      fetch(`${rig.proxy!.endpointUrl}/v1/token/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await refresh({ token: rig.token });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      deviceId: 'dev-1',
      groupId: 'g1',
      token: expect.any(String) as string,
    });
    const bad = await refresh({ token: 'not-a-token-at-all' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_token' });
    rig.sc.publish((s) => (s.revoked = [{ deviceId: 'dev-1', at: new Date().toISOString() }]));
    const revoked = await refresh({ token: rig.token });
    expect(revoked.status).toBe(403);
    expect(await revoked.json()).toMatchObject({ error: 'device_revoked' });
    expect((await refresh({ nope: 1 })).status).toBe(400);
    rig.sc.down = true;
    expect((await refresh({ token: rig.token })).status).toBe(503);
    // A token answer without end: refused at 64 KiB, not buffered.
    rig.sc.down = false;
    const hungUp = rig.sc.streamEndlessly('/api/v1/proxy/token-refresh');
    const endless = await refresh({ token: rig.token });
    expect(endless.status).toBe(502);
    expect(await endless.json()).toMatchObject({ error: 'upstream_error' });
    await hungUp;
  });
});

describe('ksn-proxy telemetry forwarding: hop-by-hop headers', () => {
  let sc: FakeSecurityCenter;
  let upstream: Server;
  let seen: IncomingHttpHeaders[];
  let proxy: RunningProxy;

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    seen = [];
    upstream = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.writeHead(202, {
          'content-type': 'application/json',
          connection: 'keep-alive, x-upstream-private',
          'x-upstream-private': 'secret',
          'keep-alive': 'timeout=77',
          'proxy-authenticate': 'Basic realm="up"',
          upgrade: 'h2c',
          trailer: 'x-checksum',
          'x-upstream-ok': 'yes',
        });
        res.end('{"accepted":1}');
      });
    });
    await listen(upstream, 0, '127.0.0.1');
    proxy = await startTestProxy(sc, serverUrl(upstream));
  });
  afterEach(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    await sc.close();
  });

  it('strips hop-by-hop headers and the device identity both ways', async () => {
    const u = new URL(proxy.endpointUrl);
    const body = JSON.stringify({ kind: 'statistics', records: [{ a: 1 }] });
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = request(
          {
            host: u.hostname,
            port: u.port,
            path: '/v1/telemetry',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${sc.token()}`,
              connection: 'keep-alive, x-endpoint-private',
              'x-endpoint-private': 'mine',
              'keep-alive': 'timeout=5',
              te: 'trailers',
              trailer: 'x-sum',
              'proxy-authorization': 'Basic Zm9vOmJhcg==',
              'proxy-connection': 'keep-alive',
              'x-device-id': 'dev-1',
              'transfer-encoding': 'chunked',
              'x-endpoint-ok': 'yes',
            },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toBe('{"accepted":1}');
    for (const h of ['x-upstream-private', 'proxy-authenticate', 'upgrade', 'trailer'])
      expect(answer.headers[h]).toBeUndefined();
    // The proxy's own hop may say keep-alive; the upstream's parameters must not cross.
    expect(answer.headers['keep-alive']).not.toBe('timeout=77');
    expect(answer.headers['connection'] ?? '').not.toContain('x-upstream-private');
    expect(answer.headers['x-upstream-ok']).toBe('yes');
    expect(seen).toHaveLength(1);
    const up = seen[0]!;
    for (const h of [
      'x-endpoint-private',
      'keep-alive',
      'te',
      'trailer',
      'proxy-authorization',
      'proxy-connection',
      'authorization',
      'x-device-id',
      'transfer-encoding',
      'upgrade',
    ])
      expect(up[h]).toBeUndefined();
    expect(up['connection']).not.toContain('x-endpoint-private');
    expect(up['x-endpoint-ok']).toBe('yes');
    expect(up['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(up['content-length']).toBe(String(Buffer.byteLength(body)));
  });
});

describe('ksn-proxy telemetry: upstream refusals of the proxy itself are not passed to the device', () => {
  const rig = useRig({ apiKey: 'the-right-upstream-key' });

  it("answers 502 upstream_error, not the upstream's 401, when the proxy's upstream credential is bad", async () => {
    rig.proxy = await startTestProxy(rig.sc, rig.emu.url, { UPSTREAM_API_KEY: 'a-wrong-upstream-key' });
    const res = await send(rig.proxy, rig.token, stats);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'upstream_error' });
    expect(rig.emu.stats().telemetryAccepted).toBe(0);
    expect(await metricValue(rig.proxy, 'ksn_proxy_telemetry_total{outcome="failed"}')).toBe(1);
    expect(await metricValue(rig.proxy, 'ksn_proxy_telemetry_total{outcome="forwarded"}')).toBe(0);
  });
});

describe('ksn-proxy telemetry: which upstream refusals reach the device', () => {
  let sc: FakeSecurityCenter;
  let upstream: Server;
  /** The next answers of the upstream, in order (the last one repeats). */
  let answers: { status: number; body: string }[];
  let requests: number;
  let proxy: RunningProxy;

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    answers = [];
    requests = 0;
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        const a = answers.length > 1 ? answers.shift()! : answers[0]!;
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
      });
    });
    await listen(upstream, 0, '127.0.0.1');
    proxy = await startTestProxy(sc, serverUrl(upstream), { SPOOL_RETRY_MS: '600000' });
  });
  afterEach(async () => {
    await proxy.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    await sc.close();
  });

  it.each([
    [401, '{"error":"invalid_token","message":"device token expired"}'],
    [403, '{"error":"device_revoked","message":"this device has been revoked"}'],
    [404, '{"error":"not_found","message":"no such route"}'],
  ])(
    'an upstream %i (about the proxy, not the device) is answered 502 upstream_error',
    async (status, body) => {
      answers = [{ status, body }];
      const res = await send(proxy, sc.token(), stats);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'upstream_error' });
      expect(requests).toBe(1);
    },
  );

  it('an upstream 413 describes the body the device sent: passed on', async () => {
    answers = [{ status: 413, body: '{"error":"payload_too_large","message":"too large"}' }];
    const res = await send(proxy, sc.token(), stats);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it("a spooled record refused for the proxy's credential is kept for later, not dropped", async () => {
    answers = [
      { status: 503, body: '{}' },
      { status: 401, body: '{"error":"invalid_token","message":"expired"}' },
      { status: 202, body: '{"accepted":2}' },
    ];
    expect((await send(proxy, sc.token(), stats)).status).toBe(202); // 503: spooled
    await proxy.spool.deliver(); // 401: kept
    expect(proxy.spool.size).toBe(1);
    expect(await metricValue(proxy, 'ksn_proxy_spool_dropped_total')).toBe(0);
    await proxy.spool.deliver(); // 202: delivered
    expect(proxy.spool.size).toBe(0);
    expect(await metricValue(proxy, 'ksn_proxy_telemetry_total{outcome="forwarded"}')).toBe(1);
    expect(requests).toBe(3);
  });

  it("an upstream proxy's policy refusal (403 sending_disabled) is the device's answer too, counted as blocked", async () => {
    answers = [{ status: 403, body: '{"error":"sending_disabled","message":"off for this group"}' }];
    const res = await send(proxy, sc.token(), stats);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'sending_disabled' });
    expect(await metricValue(proxy, 'ksn_proxy_telemetry_total{outcome="blocked_by_policy"}')).toBe(1);
    expect(proxy.spool.size).toBe(0);
  });

  it("a spooled record refused by the upstream proxy's policy is removed, not retried until the spool fills", async () => {
    answers = [
      { status: 503, body: '{}' },
      { status: 403, body: '{"error":"sending_disabled","message":"off for this group"}' },
    ];
    expect((await send(proxy, sc.token(), stats)).status).toBe(202); // 503: spooled
    await proxy.spool.deliver(); // 403 sending_disabled: final
    expect(proxy.spool.size).toBe(0);
    expect(await metricValue(proxy, 'ksn_proxy_telemetry_total{outcome="blocked_by_policy"}')).toBe(1);
    expect(await metricValue(proxy, 'ksn_proxy_spool_dropped_total')).toBe(0);
    expect(requests).toBe(2);
  });
});
