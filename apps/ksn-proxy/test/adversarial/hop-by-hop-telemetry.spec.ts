/**
 * Hop-by-hop headers on the one route the proxy forwards through http-proxy,
 * POST /v1/telemetry: the upstream sees none of the endpoint's hop-by-hop headers,
 * nor its device token, cookie or address; the endpoint sees none of the upstream's.
 */
import { rawHeaderNames, rawRequest, startRig, type Rig } from './harness';

jest.setTimeout(30_000);

const CRLF = '\r\n';

describe('ksn-proxy adversarial: hop-by-hop headers on forwarded telemetry', () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    await rig.close();
  });

  it('strips both directions and keeps the device identity inside the network', async () => {
    const body = JSON.stringify({
      kind: 'statistics',
      records: [{ detections: 3, module: 'file-threat-protection' }],
    });
    const raw =
      [
        'POST /v1/telemetry HTTP/1.1',
        'Host: proxy',
        `Authorization: Bearer ${rig.token}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close, X-Endpoint-Private',
        'X-Endpoint-Private: secret-of-the-first-hop',
        'Keep-Alive: timeout=99',
        'TE: trailers',
        'Trailer: X-Trailer',
        'Proxy-Authorization: Basic ZW5kcG9pbnQ6c2VjcmV0',
        'Proxy-Connection: keep-alive',
        'Cookie: endpoint=session',
        'X-Forwarded-For: 10.6.6.6',
        'Forwarded: for=10.6.6.6',
      ].join(CRLF) +
      CRLF +
      CRLF +
      body;
    const reply = await rawRequest(rig.proxy.endpointUrl, raw);
    expect(reply.status).toBeGreaterThanOrEqual(200);
    expect(reply.status).toBeLessThan(300);

    const forwarded = rig.up.requests.filter((r) => r.url.startsWith('/v1/telemetry'));
    expect(forwarded).toHaveLength(1);
    const seen = forwarded[0]!;
    for (const name of [
      'x-endpoint-private',
      'keep-alive',
      'te',
      'trailer',
      'proxy-authorization',
      'proxy-connection',
      'cookie',
      'x-forwarded-for',
      'forwarded',
      'upgrade',
    ]) {
      expect({ name, value: seen.headers[name] }).toEqual({ name, value: undefined });
    }
    expect(seen.headers['authorization'] ?? '').not.toContain(rig.token);
    expect(String(seen.headers['connection'] ?? '').toLowerCase()).not.toContain('x-endpoint-private');
    expect(JSON.parse(seen.body)).toEqual(JSON.parse(body));

    const names = rawHeaderNames(reply.text);
    for (const name of ['x-upstream-private', 'proxy-authenticate']) expect(names).not.toContain(name);
    expect(reply.text).not.toContain('must-not-reach-the-endpoint');
    expect(reply.text.toLowerCase()).not.toContain('keep-alive: timeout=5');
  });

  it('a telemetry body that fails validation never leaves the network', async () => {
    for (const body of [
      '{',
      JSON.stringify({ kind: 'statistics', records: [] }),
      JSON.stringify({ kind: 'everything', records: [{}] }),
      JSON.stringify({ kind: 'statistics', records: [{}], extra: 1 }),
    ]) {
      const res = await fetch(`${rig.proxy.endpointUrl}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_request' });
    }
    expect(rig.up.requests.filter((r) => r.url.startsWith('/v1/telemetry'))).toHaveLength(0);
  });
});
