/**
 * Hop-by-hop headers never cross the proxy: what an endpoint sends for its own hop
 * (Connection and the headers it names, TE, Upgrade, Proxy-Authorization, Keep-Alive,
 * Proxy-Connection), and its device token, stay on the endpoint's side; what the
 * upstream answers for its hop stays on the upstream's side.
 * (Telemetry, forwarded through http-proxy: hop-by-hop-telemetry.spec.ts.)
 */
import { EICAR, rawHeaderNames, rawRequest, startRig, type Rig } from './harness';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

const CRLF = '\r\n';
const HOP_BY_HOP_REQUEST = [
  'x-endpoint-private',
  'te',
  'upgrade',
  'proxy-authorization',
  'keep-alive',
  'proxy-connection',
  'trailer',
];
const HOP_BY_HOP_RESPONSE = ['x-upstream-private', 'proxy-authenticate', 'x-upstream-ok'];

describe('ksn-proxy adversarial: hop-by-hop headers', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  it("a lookup miss reaches the upstream without any of the endpoint's hop-by-hop headers or its device token", async () => {
    const body = JSON.stringify({
      module: 'file-threat-protection',
      items: [
        { type: 'file', sha256: 'd'.repeat(64) },
        { type: 'url', url: 'http://www.example.com/' },
      ],
    });
    const raw =
      [
        'POST /v1/lookup HTTP/1.1',
        'Host: proxy',
        `Authorization: Bearer ${rig.token}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close, X-Endpoint-Private, Keep-Alive',
        'X-Endpoint-Private: secret-of-the-first-hop',
        'Keep-Alive: timeout=99',
        'TE: trailers, deflate',
        'Trailer: X-Trailer',
        'Proxy-Authorization: Basic ZW5kcG9pbnQ6c2VjcmV0',
        'Proxy-Connection: keep-alive',
        'Cookie: endpoint=session',
        'X-Forwarded-For: 10.6.6.6',
      ].join(CRLF) +
      CRLF +
      CRLF +
      body;
    const reply = await rawRequest(rig.proxy.endpointUrl, raw);
    expect(reply.status).toBe(200);
    expect(rig.up.lookups).toHaveLength(1);
    const seen = rig.up.lookups[0]!;
    for (const name of [...HOP_BY_HOP_REQUEST, 'cookie', 'x-forwarded-for'])
      expect(seen.headers[name]).toBeUndefined();
    // The device's token is for the proxy only; the upstream never learns it.
    expect(seen.headers['authorization'] ?? '').not.toContain(rig.token);
    expect(seen.body).not.toContain(rig.token);
    const connection = String(seen.headers['connection'] ?? '').toLowerCase();
    expect(connection).not.toContain('x-endpoint-private');
    expect(connection).not.toContain('close');
  });

  it("the endpoint sees none of the upstream's hop-by-hop (or private) response headers", async () => {
    for (const path of ['/v1/lookup', `/v1/files/${EICAR}`]) {
      const body = JSON.stringify({
        module: 'file-threat-protection',
        items: [{ type: 'file', sha256: 'e'.repeat(64) }],
      });
      const raw =
        path === '/v1/lookup'
          ? [
              'POST /v1/lookup HTTP/1.1',
              'Host: proxy',
              `Authorization: Bearer ${rig.token}`,
              'Content-Type: application/json',
              `Content-Length: ${Buffer.byteLength(body)}`,
              'Connection: close',
            ].join(CRLF) +
            CRLF +
            CRLF +
            body
          : [
              `GET ${path} HTTP/1.1`,
              'Host: proxy',
              `Authorization: Bearer ${rig.token}`,
              'Connection: close',
            ].join(CRLF) +
            CRLF +
            CRLF;
      const reply = await rawRequest(rig.proxy.endpointUrl, raw);
      expect(reply.status).toBe(200);
      const names = rawHeaderNames(reply.text);
      for (const name of HOP_BY_HOP_RESPONSE) expect(names).not.toContain(name);
      expect(reply.text).not.toContain('must-not-reach-the-endpoint');
      expect(reply.text.toLowerCase()).not.toContain('keep-alive: timeout=5');
    }
    expect(rig.up.lookups.length).toBeGreaterThan(0);
  });
});
