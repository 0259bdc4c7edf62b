/**
 * Fuzzing every endpoint input of the proxy (fast-check, seeded; the seed is printed,
 * replay with FC_SEED=<seed>): lookup bodies near and far from the schema, file hashes,
 * module parameters, methods, paths, content types, tokens, and raw bytes on the socket.
 * Never a 500, never a crash; every refusal is a 4xx with a JSON `{error, message}`.
 */
import fc from 'fast-check';
import { fuzzSeed, rawRequest, startRig, type Rig } from './harness';

// Real servers, timeouts and retries: generous per-test time on a loaded 2-core machine.
jest.setTimeout(30_000);

const MODULES = [
  'file-threat-protection',
  'web-threat-protection',
  'mail-threat-protection',
  'behavior-detection',
  'exploit-prevention',
  'host-intrusion-prevention',
  'application-control',
  'anti-spam',
];
const INJECTIONS = [
  "' OR 1=1 --",
  '../../etc/passwd',
  '\u0000',
  '<script>',
  '${jndi:x}',
  '__proto__',
  'constructor',
  '%00',
  '\uFFFF',
  'A'.repeat(70_000),
];

const hexish = fc.string({
  unit: fc.constantFrom(...'0123456789abcdefABCDEFgxz-%./'),
  minLength: 0,
  maxLength: 70,
});
const scalar = fc.oneof(
  fc.constantFrom<unknown>(null, true, false, 0, -1, 1e308, '', ...INJECTIONS),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
);
const item = fc.oneof(
  fc.record(
    {
      type: fc.constantFrom('file', 'url', 'FILE', 'x', ''),
      sha256: fc.oneof(hexish, scalar),
      md5: fc.oneof(hexish, scalar),
      sha1: hexish,
      url: fc.oneof(fc.webUrl(), scalar),
    },
    { requiredKeys: [] },
  ),
  fc.record({
    type: fc.constant('url'),
    url: fc.oneof(
      fc.webUrl({ withFragments: true, withQueryParameters: true }),
      fc.string({ maxLength: 100 }),
      fc.constantFrom(
        'javascript:alert(1)',
        'file:///etc/passwd',
        'http://',
        'http://[::1',
        'http://a b/',
        'ftp://x/',
        'http://' + 'a'.repeat(5000) + '/',
      ),
    ),
  }),
  fc.record({
    type: fc.constant('file'),
    sha256: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 }),
  }),
  fc.jsonValue({ maxDepth: 2 }),
);
const lookupBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        module: fc.oneof(fc.constantFrom(...MODULES), scalar),
        items: fc.oneof(fc.array(item, { maxLength: 8 }), scalar, fc.constant([])),
        extra: scalar,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

function expectClean(status: number, body: string, where: string): void {
  if (status >= 500 && status !== 502 && status !== 503 && status !== 504)
    throw new Error(`${where}: status ${status} ${body.slice(0, 200)}`);
  if (status === 500) throw new Error(`${where}: 500 ${body}`);
  if (status >= 400) {
    let parsed: { error?: unknown; message?: unknown };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      throw new Error(`${where}: ${status} with a non-JSON body ${body.slice(0, 200)}`);
    }
    if (typeof parsed.error !== 'string' || typeof parsed.message !== 'string')
      throw new Error(`${where}: ${status} without {error, message}: ${body.slice(0, 200)}`);
  }
}

describe('ksn-proxy adversarial: fuzzing every endpoint', () => {
  let rig: Rig;
  const seed = fuzzSeed('proxy endpoints');
  beforeAll(async () => {
    rig = await startRig({ UPSTREAM_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await rig.close();
  });
  afterEach(async () => {
    // Alive and still answering after every property.
    expect((await fetch(`${rig.proxy.adminUrl}/healthz`)).status).toBe(200);
  });

  it('POST /v1/lookup: any body → 200 or a clear 4xx, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(lookupBody, async (body) => {
        const res = await fetch(`${rig.proxy.endpointUrl}/v1/lookup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        expectClean(res.status, text, `lookup ${JSON.stringify(body).slice(0, 300)}`);
        if (res.status === 200) {
          const parsed = JSON.parse(text) as { results: unknown[] };
          expect(Array.isArray(parsed.results)).toBe(true);
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it('POST /v1/telemetry: any body → 2xx or a clear 4xx, and only valid bodies leave the network', async () => {
    const telemetryBody = fc.oneof(
      fc.record(
        {
          kind: fc.oneof(fc.constantFrom('statistics', 'detected-objects', 'urls'), scalar),
          records: fc.oneof(
            fc.array(
              fc.dictionary(fc.string({ maxLength: 70 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
              { maxLength: 5 },
            ),
            scalar,
          ),
          extra: scalar,
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(telemetryBody, async (body) => {
        const before = rig.up.requests.filter((r) => r.url.startsWith('/v1/telemetry')).length;
        const res = await fetch(`${rig.proxy.endpointUrl}/v1/telemetry`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}` },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        expectClean(res.status, text, `telemetry ${JSON.stringify(body).slice(0, 300)}`);
        const after = rig.up.requests.filter((r) => r.url.startsWith('/v1/telemetry')).length;
        if (res.status >= 400) expect(after).toBe(before);
      }),
      { seed: seed + 4, numRuns: 150 },
    );
  });

  it('GET /v1/files/{hash}?module=…: any hash and module → 200 or 400, never a 500', async () => {
    const pathPart = fc.oneof(
      hexish,
      fc.string({ maxLength: 80 }).map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '..%2f..%2f', 'a/b', '', '?', '#'),
    );
    await fc.assert(
      fc.asyncProperty(
        pathPart,
        fc.option(fc.oneof(fc.constantFrom(...MODULES), fc.string({ maxLength: 30 }))),
        async (hash, module) => {
          const url = `${rig.proxy.endpointUrl}/v1/files/${hash}${module === null ? '' : `?module=${encodeURIComponent(module)}&module=x`}`;
          let res: Response;
          try {
            res = await fetch(url, { headers: { authorization: `Bearer ${rig.token}` } });
          } catch {
            return; // fetch refused to build the request (not the proxy's doing)
          }
          expectClean(res.status, await res.text(), `GET ${url}`);
        },
      ),
      { seed: seed + 1, numRuns: 200 },
    );
  });

  it('any method, path, content type and token → a clear answer, never a 500', async () => {
    const method = fc.constantFrom(
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'PROPFIND',
    );
    const path = fc.oneof(
      fc.constantFrom(
        '/v1/lookup',
        '/v1/policy',
        '/v1/files/' + 'a'.repeat(64),
        '/v1/telemetry',
        '/v1/token/refresh',
        '/metrics',
        '/healthz',
        '/',
        '/v1',
        '/v1/',
        '/V1/LOOKUP',
        '/v1/lookup/',
        '/v1/lookup?x=1',
        '/v1/lookup;a=b',
        '/v1/%6cookup',
        '/v1/lookup%00',
      ),
      fc.string({ unit: fc.constantFrom(...'abcv1/%.?=&;'), maxLength: 30 }).map((s) => '/' + s),
    );
    const contentType = fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-patch+json',
      'APPLICATION/JSON',
    );
    const token = fc.oneof(
      fc.constant(undefined),
      fc.constant('VALID'),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Basic YTpi',
        'Bearer ksn1..',
        'Bearer ksn1.a.b',
        `Bearer ${'A'.repeat(8000)}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        contentType,
        token,
        fc.option(fc.jsonValue({ maxDepth: 2 })),
        async (m, p, ct, tok, body) => {
          const headers: Record<string, string> = {};
          if (ct !== undefined) headers['content-type'] = ct;
          if (tok === 'VALID') headers['authorization'] = `Bearer ${rig.token}`;
          else if (tok !== undefined) headers['authorization'] = tok.replace(/[\r\n\0]/g, '');
          let res: Response;
          try {
            res = await fetch(`${rig.proxy.endpointUrl}${p}`, {
              method: m,
              headers,
              body: m === 'GET' || m === 'HEAD' || body === null ? undefined : JSON.stringify(body),
            });
          } catch {
            return; // an invalid header value or URL that fetch itself refuses to send
          }
          const text = await res.text();
          if (m !== 'HEAD')
            expectClean(res.status, text, `${m} ${p} ${JSON.stringify(headers).slice(0, 200)}`);
          else expect(res.status).not.toBe(500);
        },
      ),
      { seed: seed + 2, numRuns: 300 },
    );
  });

  it('random bytes on the socket: the proxy answers 400 or closes, and keeps running', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((a) => Buffer.from(a)),
          fc.string({ maxLength: 300 }).map((s) => `POST /v1/lookup HTTP/1.1\r\nHost: x\r\n${s}\r\n\r\n`),
          fc.string({ maxLength: 300 }).map((s) => `${s} /v1/lookup HTTP/1.1\r\nHost: x\r\n\r\n`),
        ),
        async (bytes) => {
          const reply = await rawRequest(rig.proxy.endpointUrl, bytes, 300);
          if (reply.status !== undefined) expect(reply.status).not.toBe(500);
        },
      ),
      { seed: seed + 3, numRuns: 80 },
    );
  });
});
