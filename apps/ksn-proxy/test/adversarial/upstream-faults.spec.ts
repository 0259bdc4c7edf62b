/**
 * A bad day upstream: the cloud down, slow, hanging, resetting mid-response or
 * answering garbage. The proxy never crashes, answers stale verdicts within the
 * stale window, and a clear 502/504 beyond it; it recovers when the upstream does.
 */
import type { LookupResponse } from '@ksn/contracts';
import { createServer, type Server } from 'node:http';
import { listen, serverUrl } from '@ksn/service-kit';
import { EICAR, postLookup, startRig, type Rig } from './harness';
import { streamForever } from '../fakes';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

const eicar = { module: 'file-threat-protection', items: [{ type: 'file', sha256: EICAR }] };
const miss = (c: string) => ({
  module: 'file-threat-protection',
  items: [{ type: 'file', sha256: c.repeat(64) }],
});

async function expectError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await res.json()).toMatchObject({ error, message: expect.any(String) as string });
}

async function stillHealthy(rig: Rig): Promise<void> {
  expect((await fetch(`${rig.proxy.adminUrl}/healthz`)).status).toBe(200);
}

describe('ksn-proxy adversarial: upstream faults', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig.close();
  });

  it('upstream down (connection refused): stale within the window, 502 beyond it and for misses, recovery after', async () => {
    rig = await startRig({ TTL_MALICIOUS_SECONDS: '0', STALE_WINDOW_SECONDS: '2', BREAKER_RESET_MS: '200' });
    const first = (await (await postLookup(rig, eicar)).json()) as LookupResponse;
    expect(first.results[0]).toMatchObject({ source: 'upstream', verdict: 'malicious' });
    const port = Number(new URL(rig.up.url).port);
    await rig.up.close();

    const stale = await postLookup(rig, eicar);
    expect(stale.status).toBe(200);
    expect(((await stale.json()) as LookupResponse).results[0]).toMatchObject({
      source: 'stale',
      verdict: 'malicious',
      decision: 'block',
    });
    await expectError(await postLookup(rig, miss('1')), 502, 'upstream_error');

    // Past the stale window the verdict is no longer served.
    await new Promise((r) => setTimeout(r, 3200));
    await expectError(await postLookup(rig, eicar), 502, 'upstream_error');
    await stillHealthy(rig);

    // The upstream comes back on the same address: answers again, fresh.
    await rig.up.start(port);
    const back = await postLookup(rig, eicar);
    expect(back.status).toBe(200);
    expect(((await back.json()) as LookupResponse).results[0]).toMatchObject({
      source: 'upstream',
      verdict: 'malicious',
    });
  });

  it('upstream slower than UPSTREAM_TIMEOUT_MS: 504 for a miss, stale for a cached key, in about the timeout', async () => {
    rig = await startRig({ TTL_MALICIOUS_SECONDS: '0', UPSTREAM_TIMEOUT_MS: '300' });
    await postLookup(rig, eicar);
    rig.up.behaviour = { kind: 'slow', delayMs: 2000 };
    const t0 = Date.now();
    await expectError(await postLookup(rig, miss('2')), 504, 'upstream_timeout');
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    const stale = (await (await postLookup(rig, eicar)).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale', verdict: 'malicious' });
    await stillHealthy(rig);
  });

  it('upstream that never answers: 504, and the next requests are not stuck behind it', async () => {
    rig = await startRig({ UPSTREAM_TIMEOUT_MS: '300', BREAKER_RESET_MS: '200' });
    rig.up.behaviour = { kind: 'hang' };
    const answers = await Promise.all(['3', '4', '5', '6'].map((c) => postLookup(rig, miss(c))));
    for (const a of answers) await expectError(a, 504, 'upstream_timeout');
    rig.up.behaviour = { kind: 'ok' };
    await new Promise((r) => setTimeout(r, 300));
    expect((await postLookup(rig, miss('7'))).status).toBe(200);
  });

  it('upstream resetting mid-response: 502 for misses, stale for cached keys, no crash, then recovery', async () => {
    rig = await startRig({ TTL_MALICIOUS_SECONDS: '0', BREAKER_RESET_MS: '200' });
    await postLookup(rig, eicar);
    rig.up.behaviour = { kind: 'reset-mid-response' };
    for (let i = 0; i < 5; i++) await expectError(await postLookup(rig, miss('8')), 502, 'upstream_error');
    const stale = (await (await postLookup(rig, eicar)).json()) as LookupResponse;
    expect(stale.results[0]).toMatchObject({ source: 'stale', verdict: 'malicious' });
    await stillHealthy(rig);
    rig.up.behaviour = { kind: 'ok' };
    // A circuit breaker may have opened: it lets a probe through after BREAKER_RESET_MS.
    await new Promise((r) => setTimeout(r, 300));
    expect((await postLookup(rig, miss('8'))).status).toBe(200);
  });

  it('upstream 5xx become 502 upstream_error; upstream 4xx never become a 500 of the proxy', async () => {
    rig = await startRig({ BREAKER_RESET_MS: '10' });
    for (const status of [500, 502, 503, 504]) {
      rig.up.behaviour = { kind: 'error', status };
      await expectError(await postLookup(rig, miss('9')), 502, 'upstream_error');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const status of [429, 404, 400, 401]) {
      rig.up.behaviour = { kind: 'error', status };
      const res = await postLookup(rig, miss('9'));
      expect([429, 502, 503]).toContain(res.status);
      expect(await res.json()).toMatchObject({
        error: expect.any(String) as string,
        message: expect.any(String) as string,
      });
      await new Promise((r) => setTimeout(r, 20));
    }
    await stillHealthy(rig);
  });
});

describe('ksn-proxy adversarial: an upstream answering garbage', () => {
  let garbage: Server;
  let reply: (res: import('node:http').ServerResponse, keys: string[]) => void = () => undefined;
  let rig: Rig;
  beforeAll(async () => {
    garbage = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => reply(res, (JSON.parse(body || '{"keys":[]}') as { keys: string[] }).keys));
    });
    await listen(garbage, 0, '127.0.0.1');
  });
  afterAll(async () => {
    garbage.closeAllConnections();
    await new Promise((r) => garbage.close(r));
  });
  afterEach(async () => {
    await rig.close();
  });

  const answers: [string, (res: import('node:http').ServerResponse, keys: string[]) => void][] = [
    ['not JSON', (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>oops')],
    [
      'JSON of the wrong shape',
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":"no"}'),
    ],
    [
      'a verdict outside the closed set',
      (res, keys) =>
        res.writeHead(200).end(JSON.stringify({ results: keys.map((key) => ({ key, verdict: 'pwned' })) })),
    ],
    [
      'results for other keys only',
      (res) =>
        res
          .writeHead(200)
          .end(JSON.stringify({ results: [{ key: `sha256:${'f'.repeat(64)}`, verdict: 'clean' }] })),
    ],
    [
      'a body larger than announced (then closed)',
      (res) => {
        res.writeHead(200, { 'content-length': '10' });
        res.end('{"results":[]} and more');
      },
    ],
    [
      // Without a bound the proxy would wait for the end until UPSTREAM_TIMEOUT_MS (a 504).
      'an endless body',
      (res) => streamForever(res, '{"results":[', Buffer.from('{"key":"x","verdict":"clean"},'.repeat(500))),
    ],
    [
      'a huge body',
      (res) =>
        res.writeHead(200).end('{"results":[' + '{"key":"x","verdict":"clean"},'.repeat(200_000) + '{}]}'),
    ],
  ];

  it.each(answers)('%s: 502 upstream_error, and the proxy keeps serving', async (_name, answer) => {
    reply = answer;
    rig = await startRig();
    // Point the rig's proxy at the garbage server by restarting it with that upstream.
    await rig.proxy.close();
    const { startProxy } = await import('../../src/server');
    const { proxyConfig, quiet, until } = await import('./harness');
    rig.proxy = await startProxy(proxyConfig(rig.sc, serverUrl(garbage), rig.dataDir), quiet);
    await until(() => rig.proxy.store.current !== undefined);
    const res = await postLookup(rig, miss('a'));
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'upstream_error' });
    expect((await fetch(`${rig.proxy.adminUrl}/healthz`)).status).toBe(200);
  });
});
