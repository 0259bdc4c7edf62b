/** The endpoint listener over TLS (with client certificates), and tiering: branch → central → emulator. */
import type { LookupResponse } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from '@ksn/policy-engine';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startCloudEmulator, type RunningEmulator } from '../test/emulator';
import { FakeSecurityCenter } from '../test/fakes';
import { EICAR, file, lookup, startTestProxy, tempDir, until } from '../test/rig';
import type { RunningProxy } from './server';

/** A self-signed certificate for 127.0.0.1, made with openssl now. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function httpsGet(
  url: string,
  opts: { ca: Buffer; cert?: Buffer; key?: Buffer; token: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers: { authorization: `Bearer ${opts.token}` },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ksn-proxy endpoint listener', () => {
  let sc: FakeSecurityCenter;
  let emu: RunningEmulator;
  const proxies: RunningProxy[] = [];

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    emu = await startCloudEmulator({ port: 0, defaultMetrics: false, urgent: { share: 0 } });
  });
  afterEach(async () => {
    for (const p of proxies.splice(0).reverse()) await p.close();
    await emu.close();
    await sc.close();
  });

  it('speaks HTTPS when a certificate and key are configured', async () => {
    const dir = tempDir();
    const server = selfSigned(dir, 'proxy');
    const proxy = await startTestProxy(sc, emu.url, { TLS_CERT_FILE: server.cert, TLS_KEY_FILE: server.key });
    proxies.push(proxy);
    expect(proxy.endpointUrl).toMatch(/^https:/);
    const res = await httpsGet(`${proxy.endpointUrl}/v1/files/${EICAR}`, {
      ca: readFileSync(server.cert),
      token: sc.token(),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ verdict: 'malicious', decision: 'block' });
  });

  it('requires a client certificate signed by TLS_CLIENT_CA_FILE when set', async () => {
    const dir = tempDir();
    const server = selfSigned(dir, 'proxy');
    const client = selfSigned(dir, 'device');
    const proxy = await startTestProxy(sc, emu.url, {
      TLS_CERT_FILE: server.cert,
      TLS_KEY_FILE: server.key,
      TLS_CLIENT_CA_FILE: client.cert,
    });
    proxies.push(proxy);
    const ca = readFileSync(server.cert);
    const ok = await httpsGet(`${proxy.endpointUrl}/v1/policy`, {
      ca,
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
      token: sc.token(),
    });
    expect(ok.status).toBe(200);
    await expect(httpsGet(`${proxy.endpointUrl}/v1/policy`, { ca, token: sc.token() })).rejects.toThrow();
  });

  /** Branch proxies are enrolled into a group of their own, which the central proxy lists in TIER_CLIENT_GROUPS. */
  const BRANCHES = 'branch-proxies';
  const tierCentral = () => {
    sc.publish((s) =>
      s.groups.push({ id: BRANCHES, name: 'Branch proxies', parentId: 'g1', policy: DEFAULT_SETTINGS }),
    );
    return startTestProxy(sc, emu.url, { TIER_CLIENT_GROUPS: BRANCHES });
  };

  it('tiers: a branch proxy asks a central proxy (with its token), which asks the emulator once', async () => {
    const central = await tierCentral();
    proxies.push(central);
    const branchToken = sc.token('proxy-branch-1', BRANCHES);
    const branch = await startTestProxy(sc, central.endpointUrl, {
      UPSTREAM_API_KEY: branchToken,
      CHANGE_FEED_WAIT_SECONDS: '5',
    });
    proxies.push(branch);
    const other = await startTestProxy(sc, central.endpointUrl, {
      UPSTREAM_API_KEY: sc.token('proxy-branch-2', BRANCHES),
    });
    proxies.push(other);
    const token = sc.token();

    const first = (await (await lookup(branch, token, [file(EICAR.toUpperCase())])).json()) as LookupResponse;
    expect(first.results[0]).toMatchObject({
      key: `sha256:${EICAR}`,
      verdict: 'malicious',
      decision: 'block',
      source: 'upstream',
    });
    const again = (await (await lookup(other, token, [file(EICAR)])).json()) as LookupResponse;
    expect(again.results[0]).toMatchObject({ verdict: 'malicious', source: 'upstream' }); // upstream for `other`: central's cache
    expect(emu.asked(`sha256:${EICAR}`)).toBe(1);

    // Without the token, the central proxy refuses the branch's protocol.
    const anon = await fetch(`${central.endpointUrl}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [`sha256:${EICAR}`] }),
    });
    expect(anon.status).toBe(401);
    const badKey = await fetch(`${central.endpointUrl}/v1/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${branchToken}` },
      body: JSON.stringify({ keys: ['sha256:NOTHEX'] }),
    });
    expect(await badKey.json()).toMatchObject({ error: 'invalid_request', field: 'keys[0]' });

    // Telemetry goes branch → central → emulator, once, without any device's token.
    const sent = await fetch(`${branch.endpointUrl}/v1/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ kind: 'statistics', records: [{ n: 1 }] }),
    });
    expect(sent.status).toBe(202);
    const uploads = (
      (await (await fetch(`${emu.url}/admin/telemetry`)).json()) as {
        records: { headers: Record<string, string> }[];
      }
    ).records;
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.headers['authorization']).toBeUndefined();

    // The change feed reaches the branch through the central proxy.
    const key = `sha256:${'c'.repeat(64)}`;
    emu.setVerdict(key, 'clean');
    await lookup(branch, token, [file('c'.repeat(64))]);
    // Central's own feed, and the relayed long-polls of both branches.
    await until(() => emu.stats().changeFeedWaiting >= 3);
    emu.setVerdict(key, 'malicious');
    await until(() => branch.cache.peek(key)?.verdict === 'malicious', 4000);
  }, 20_000);

  it('a branch renews its device token through the central proxy before it expires, and keeps it across a restart', async () => {
    const central = await tierCentral();
    proxies.push(central);
    const dataDir = tempDir();
    const short = sc.token('proxy-branch-3', BRANCHES, 3); // expires in 3 s: renewed after about 2
    let branch = await startTestProxy(sc, central.endpointUrl, {
      UPSTREAM_API_KEY: short,
      DATA_DIR: dataDir,
    });
    proxies.push(branch);
    const token = sc.token();
    await until(() => sc.tokenRefreshes.length === 1, 4000);
    expect(sc.tokenRefreshes[0]).toEqual({ token: short });
    // Past the original token's expiry the central proxy still answers the branch: it sends the renewed one.
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await (await lookup(branch, token, [file('d'.repeat(64))])).json()) as LookupResponse;
    expect(after.results[0]).toMatchObject({ source: 'upstream' });
    expect(statSync(join(dataDir, 'upstream-token')).mode & 0o777).toBe(0o600);
    // A restart configured with the expired original uses the saved renewal.
    await branch.close();
    proxies.splice(proxies.indexOf(branch), 1);
    branch = await startTestProxy(sc, central.endpointUrl, { UPSTREAM_API_KEY: short, DATA_DIR: dataDir });
    proxies.push(branch);
    expect((await lookup(branch, token, [file('e'.repeat(64))])).status).toBe(200);
    expect(sc.tokenRefreshes).toHaveLength(1);
  }, 20_000);
});
