/**
 * HTTP framing attacks and open-proxy attempts, sent as raw bytes. Each request
 * carries a valid token and a valid lookup of an uncached key, so a parser that let
 * it through would make the proxy ask the upstream: the upstream must see nothing.
 */
import { rawHeaderNames, rawRequest, startRig, type Rig } from './harness';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

const CRLF = '\r\n';
const MISS = 'c'.repeat(64);
const BODY = JSON.stringify({ module: 'file-threat-protection', items: [{ type: 'file', sha256: MISS }] });
const LEN = Buffer.byteLength(BODY);
const chunked = (body: string) =>
  `${Buffer.byteLength(body).toString(16)}${CRLF}${body}${CRLF}0${CRLF}${CRLF}`;

describe('ksn-proxy adversarial: HTTP framing', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  const head = (lines: string[], sep = CRLF) =>
    [
      'POST /v1/lookup HTTP/1.1',
      'Host: proxy',
      `Authorization: Bearer ${rig.token}`,
      'Content-Type: application/json',
      ...lines,
    ].join(sep) +
    sep +
    sep;

  const attacks: [string, () => string][] = [
    [
      'Content-Length with Transfer-Encoding (CL.TE)',
      () => head([`Content-Length: ${LEN}`, 'Transfer-Encoding: chunked']) + chunked(BODY),
    ],
    [
      'Transfer-Encoding with Content-Length (TE.CL)',
      () => head(['Transfer-Encoding: chunked', `Content-Length: ${LEN}`]) + chunked(BODY),
    ],
    [
      'two different Content-Lengths',
      () => head([`Content-Length: ${LEN}`, `Content-Length: ${LEN + 1}`]) + BODY + ' ',
    ],
    ['two equal Content-Lengths', () => head([`Content-Length: ${LEN}`, `Content-Length: ${LEN}`]) + BODY],
    ['a comma-listed Content-Length', () => head([`Content-Length: ${LEN}, ${LEN}`]) + BODY],
    ['a +-prefixed Content-Length', () => head([`Content-Length: +${LEN}`]) + BODY],
    ['a negative Content-Length', () => head(['Content-Length: -1']) + BODY],
    ['a hex Content-Length', () => head([`Content-Length: 0x${LEN.toString(16)}`]) + BODY],
    ['LF-only line ends', () => head([`Content-Length: ${LEN}`], '\n') + BODY],
    [
      'a bare LF among CRLFs',
      () =>
        `POST /v1/lookup HTTP/1.1${CRLF}Host: proxy\nAuthorization: Bearer ${rig.token}${CRLF}Content-Type: application/json${CRLF}Content-Length: ${LEN}${CRLF}${CRLF}${BODY}`,
    ],
    [
      'a huge chunk size',
      () => head(['Transfer-Encoding: chunked']) + `FFFFFFFFFFFFFFFFFFFF${CRLF}${BODY}${CRLF}0${CRLF}${CRLF}`,
    ],
    [
      'a chunk size with a bare-LF extension',
      () => head(['Transfer-Encoding: chunked']) + `${LEN.toString(16)};x=y\n${BODY}${CRLF}0${CRLF}${CRLF}`,
    ],
    [
      'obs-fold continuation line',
      () => head([`Content-Length: ${LEN}`, 'X-Folded: a', ' folded-continuation']) + BODY,
    ],
    ['obs-fold in Transfer-Encoding', () => head(['Transfer-Encoding:', ' chunked']) + chunked(BODY)],
    [
      'Transfer-Encoding: chunked not last',
      () => head(['Transfer-Encoding: chunked, identity']) + chunked(BODY),
    ],
    [
      'Transfer-Encoding: identity with Content-Length',
      () => head(['Transfer-Encoding: identity', `Content-Length: ${LEN}`]) + BODY,
    ],
    ['whitespace before the header colon', () => head(['Transfer-Encoding : chunked']) + chunked(BODY)],
    ['a NUL in a header value', () => head([`Content-Length: ${LEN}`, 'X-Evil: a\0b']) + BODY],
    [
      'no Host header (HTTP/1.1)',
      () =>
        [
          'POST /v1/lookup HTTP/1.1',
          `Authorization: Bearer ${rig.token}`,
          'Content-Type: application/json',
          `Content-Length: ${LEN}`,
        ].join(CRLF) +
        CRLF +
        CRLF +
        BODY,
    ],
  ];

  it.each(attacks)('refuses %s with 400 and asks the upstream nothing', async (_name, build) => {
    const before = rig.up.requests.length;
    const reply = await rawRequest(rig.proxy.endpointUrl, build());
    expect(reply.status).toBe(400);
    expect(reply.closed).toBe(true);
    // Give a wrongly-accepted request the time to reach the upstream.
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.up.requests.length).toBe(before);
  });

  it('still answers a well-formed request on a fresh connection afterwards (the parser state is per connection)', async () => {
    const reply = await rawRequest(
      rig.proxy.endpointUrl,
      head([`Content-Length: ${LEN}`, 'Connection: close']) + BODY,
    );
    expect(reply.status).toBe(200);
    expect(rig.up.lookups).toHaveLength(1);
  });
});

describe('ksn-proxy adversarial: no open proxy', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  const get = (target: string, extra: string[] = []) =>
    [
      `GET ${target} HTTP/1.1`,
      'Host: proxy',
      `Authorization: Bearer ${rig.token}`,
      'Connection: close',
      ...extra,
    ].join(CRLF) +
    CRLF +
    CRLF;

  const targets: [string, () => string][] = [
    ['absolute-form to another host', () => get('http://example.com/v1/policy')],
    ['absolute-form naming the upstream itself', () => get(`${rig.up.url}/v1/lookup`)],
    ['absolute-form https', () => get('https://example.com/v1/files/' + 'a'.repeat(64))],
    ['a //host path', () => get('//example.com/v1/policy')],
    ['a //upstream path', () => get(`//${new URL(rig.up.url).host}/v1/lookup`)],
    [
      'asterisk-form',
      () => ['OPTIONS * HTTP/1.1', 'Host: proxy', 'Connection: close'].join(CRLF) + CRLF + CRLF,
    ],
    ['a path that is not ours', () => get('/v1/../admin/faults')],
    [
      'a Host header naming another site',
      () => ['GET /v1/lookup HTTP/1.1', 'Host: example.com', 'Connection: close'].join(CRLF) + CRLF + CRLF,
    ],
  ];

  it.each(targets)('refuses %s with a 4xx and 0 upstream calls', async (_name, build) => {
    const reply = await rawRequest(rig.proxy.endpointUrl, build());
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(rig.up.requests).toHaveLength(0);
  });

  it('refuses CONNECT: no 2xx, no tunnel, 0 upstream calls', async () => {
    const upstreamHost = new URL(rig.up.url).host;
    const reply = await rawRequest(
      rig.proxy.endpointUrl,
      `CONNECT ${upstreamHost} HTTP/1.1${CRLF}Host: ${upstreamHost}${CRLF}${CRLF}`,
    );
    // A JSON 400 naming the reason, then the connection closes. Never a 2xx (a tunnel).
    expect(reply.status).toBe(400);
    expect(reply.closed).toBe(true);
    expect(rig.up.requests).toHaveLength(0);
  });

  it('refuses an Upgrade (websocket/h2c smuggling): never 101, 0 upstream calls', async () => {
    const reply = await rawRequest(
      rig.proxy.endpointUrl,
      [
        'GET /v1/policy HTTP/1.1',
        'Host: proxy',
        `Authorization: Bearer ${rig.token}`,
        'Connection: Upgrade, HTTP2-Settings',
        'Upgrade: h2c',
        'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
      ].join(CRLF) +
        CRLF +
        CRLF,
      500,
    );
    expect(reply.status).not.toBe(101);
    expect(rig.up.requests).toHaveLength(0);
    expect(rawHeaderNames(reply.text)).not.toContain('upgrade');
  });
});
