/** Device tokens across key rotation, overrides against cloud verdicts, header timeouts. */
import type { LookupResponse } from '@ksn/contracts';
import { generateSigningKey, importPrivateKey, signDeviceToken } from '@ksn/device-auth';
import { connect } from 'node:net';
import { startCloudEmulator, type RunningEmulator } from '../test/emulator';
import { FakeSecurityCenter } from '../test/fakes';
import { EICAR, file, lookup, startTestProxy, until } from '../test/rig';
import type { RunningProxy } from './server';

describe('ksn-proxy device auth and limits', () => {
  let sc: FakeSecurityCenter;
  let emu: RunningEmulator;
  let proxy: RunningProxy | undefined;

  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    emu = await startCloudEmulator({ port: 0, defaultMetrics: false });
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await emu.close();
    await sc.close();
  });

  it('verifies tokens with the key their kid names, across a rotation, and drops a retired key', async () => {
    proxy = await startTestProxy(sc, emu.url);
    const next = generateSigningKey('kid-2');
    const iat = Math.floor(Date.now() / 1000);
    const newToken = signDeviceToken(importPrivateKey(next.privateKey), {
      kid: 'kid-2',
      sub: 'dev-7',
      grp: 'g1',
      iat,
      exp: iat + 600,
    });
    expect((await lookup(proxy, newToken, [file(EICAR)])).status).toBe(401);
    const oldToken = sc.token();
    sc.publish((s) => (s.keys = [...s.keys, { kid: next.kid, publicKey: next.publicKey }]));
    await until(() => proxy!.store.current?.version === 2);
    expect((await lookup(proxy, newToken, [file(EICAR)])).status).toBe(200);
    expect((await lookup(proxy, oldToken, [file(EICAR)])).status).toBe(200);
    sc.publish((s) => (s.keys = s.keys.filter((k) => k.kid === 'kid-2')));
    await until(() => proxy!.store.current?.version === 3);
    const retired = await lookup(proxy, oldToken, [file(EICAR)]);
    expect(retired.status).toBe(401);
    expect(await retired.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('lets an admin allow-override win over a malicious cloud verdict', async () => {
    sc.publish((s) => (s.overrides = [{ key: `sha256:${EICAR}`, action: 'allow' }]));
    proxy = await startTestProxy(sc, emu.url);
    const res = (await (await lookup(proxy, sc.token(), [file(EICAR)])).json()) as LookupResponse;
    expect(res.results[0]).toMatchObject({ decision: 'allow', source: 'override', reason: 'override' });
  });

  it('answers 408 and closes a connection that sends its headers too slowly', async () => {
    proxy = await startTestProxy(sc, emu.url, { HEADERS_TIMEOUT_MS: '300' });
    const u = new URL(proxy.endpointUrl);
    const t0 = Date.now();
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(u.port), u.hostname, () =>
        socket.write('POST /v1/lookup HTTP/1.1\r\nHost: proxy\r\n'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(emu.stats().requests.v1_lookup).toBe(0);
  });
});
