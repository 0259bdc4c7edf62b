/**
 * Fuzzing every API route of security-center, enumerated from the router (a new route
 * is covered without editing this file): bodies with objects where scalars belong,
 * unknown keys, huge strings, injection payloads, and hostile query strings (filters,
 * sort fields, paging), as an admin (past the guard, so validation is what answers),
 * as a registered proxy and anonymously. Never a 500; every error is the JSON
 * `{error, message}`; and a refused request leaves the database exactly as it was.
 * fast-check, seeded: the seed is printed, replay with FC_SEED=<seed>.
 */
import type { INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { loginAs, startTestApp, TEST_PROXY_KEY } from '../app';
import { describeEachEngine } from '../databases';
import { apiRoutes, databaseDigest, fillPath, type RouteInfo } from './routes';

jest.setTimeout(60_000);

const seedFromEnv = process.env['FC_SEED'];
const SEED =
  seedFromEnv !== undefined && seedFromEnv !== '' ? Number(seedFromEnv) : Date.now() % 2_147_483_647;
process.stdout.write(`[fuzz] security-center routes: seed ${SEED} (replay with FC_SEED=${SEED})\n`);

const HUGE = 'A'.repeat(200_000);
const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '1 UNION SELECT password_hash FROM users',
  '`name`; DELETE FROM admin_groups',
  'name DESC; DROP TABLE users',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '\uD800',
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '$where',
  '*',
  '%',
  '_',
  '\\',
];
const NASTY_SCALARS: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -1e308,
  2 ** 53 + 1,
  '',
  ' ',
  HUGE,
  ...INJECTIONS,
];
const NASTY_OBJECTS: unknown[] = [
  {},
  [],
  [null],
  { $gt: '' },
  { __proto__: { admin: true } },
  { constructor: { prototype: { polluted: 1 } } },
  [[[[[[[[[[[]]]]]]]]]]],
];
/** Field names the management API is likely to have: where a wrong type hurts the most. */
const FIELDS = [
  'name',
  'username',
  'password',
  'currentPassword',
  'newPassword',
  'role',
  'parentId',
  'groupId',
  'id',
  'key',
  'action',
  'comment',
  'expiresAt',
  'policy',
  'settings',
  'sections',
  'locks',
  'rules',
  'modules',
  'module',
  'participation',
  'mode',
  'verdict',
  'decision',
  'category',
  'deviceName',
  'enrolmentToken',
  'instanceId',
  'counters',
  'sort',
  'order',
  'filter',
  'limit',
  'offset',
  'version',
  'enabled',
  'description',
  '__proto__',
  'constructor',
];

const nasty = fc.oneof(
  fc.constantFrom(...NASTY_SCALARS),
  fc.constantFrom(...NASTY_OBJECTS),
  fc.jsonValue({ maxDepth: 3 }),
);
const body = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), nasty, {
      maxKeys: 6,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(null, [], 'string', 42, true, [{}], {
      a: { b: { c: { d: { e: {} } } } },
    }),
  },
);
const QUERY_KEYS = [
  'sort',
  'order',
  'filter',
  'q',
  'search',
  'limit',
  'offset',
  'page',
  'since',
  'until',
  'from',
  'to',
  'groupId',
  'verdict',
  'status',
  'role',
  'action',
  'key',
  'wait',
  'fields',
  'filter[name]',
  'sort[]',
  '__proto__[x]',
];
const QUERY_VALUES = [
  '-1',
  '0',
  '1e9',
  '99999999999999999999',
  'NaN',
  '1.5',
  'abc',
  'name;DROP TABLE users',
  "name' --",
  'password_hash',
  'createdAt DESC, (SELECT 1)',
  '',
  '%00',
  '%E0%A4%A',
  HUGE.slice(0, 5000),
  '2026-13-45T99:99:99Z',
  'true',
  'maybe',
  ...INJECTIONS.filter((s) => s !== '\uD800').map(encodeURIComponent),
];
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fc.constantFrom(...QUERY_VALUES)), { maxLength: 4 })
  .map((pairs) =>
    pairs.length
      ? '?' +
        pairs
          .map(
            ([k, v]) =>
              `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${/%[0-9A-F]{2}|%E0/.test(v) ? v : encodeURIComponent(v)}`,
          )
          .join('&')
      : '',
  );
const param = fc.oneof(
  fc.uuid(),
  fc.constantFrom(
    '1',
    '0',
    '-1',
    'null',
    'undefined',
    "' OR 1=1 --",
    '..',
    '%2e%2e',
    'a'.repeat(300),
    '__proto__',
    'root',
  ),
);

type Caller = 'admin' | 'proxy' | 'anonymous';

describeEachEngine('security-center adversarial: fuzzed bodies and queries on every route', (db) => {
  let app: INestApplication;
  let ds: DataSource;
  let routes: RouteInfo[];
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const failures: string[] = [];

  beforeAll(async () => {
    // Fuzzed logins fail by the hundred from one address: the per-client throttle (tested in
    // security.spec.ts) would otherwise refuse the fuzzer's own re-login.
    app = await startTestApp(db().url, { LOGIN_FAILURES_PER_CLIENT: '100000' });
    ds = app.get(DataSource);
    routes = apiRoutes(app);
    admin = await loginAs(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('finds the API routes from the router (so new routes are fuzzed too)', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/login',
        'GET /api/v1/auth/me',
        'POST /api/v1/enrol',
        'GET /api/v1/proxy/snapshot',
        'POST /api/v1/proxy/heartbeat',
      ]),
    );
    process.stdout.write(`[fuzz] ${routes.length} API routes:\n  ${names.join('\n  ')}\n`);
  });

  async function send(caller: Caller, route: RouteInfo, path: string, payload: unknown, raw?: string) {
    const agent = caller === 'admin' ? admin.agent : request(app.getHttpServer());
    let req = agent[route.method.toLowerCase() as 'get'](path);
    if (caller === 'admin') req = req.set('X-CSRF-Token', admin.csrf);
    if (caller === 'proxy') req = req.set('Authorization', `Bearer ${TEST_PROXY_KEY}`);
    // Long-polls must not hang the fuzzer.
    req = req.timeout({ response: 10_000 });
    if (route.method !== 'GET' && route.method !== 'DELETE') {
      req = req.set('content-type', 'application/json').send(raw ?? JSON.stringify(payload));
    }
    return req;
  }

  async function stillLoggedIn(): Promise<void> {
    const me = await admin.agent.get('/api/v1/auth/me');
    if (me.status === 401) admin = await loginAs(app);
  }

  function check(
    caller: Caller,
    route: RouteInfo,
    path: string,
    payload: unknown,
    res: request.Response,
    before: string,
    after: string,
  ): void {
    const where = `${caller} ${route.method} ${path} body=${JSON.stringify(payload)?.slice(0, 300)}`;
    // 502/504: a route that asks the upstream cloud (none runs here); 500 or anything else is a defect.
    if (res.status >= 500 && res.status !== 502 && res.status !== 504)
      failures.push(`${where} → ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status >= 400) {
      const b = res.body as { error?: unknown; message?: unknown };
      if (typeof b.error !== 'string' || typeof b.message !== 'string')
        failures.push(`${where} → ${res.status} without {error, message}: ${res.text.slice(0, 200)}`);
      // Login failures count attempts (and are audited): the users table may change there, by design.
      if (before !== after && !route.path.endsWith('/auth/login'))
        failures.push(`${where} → ${res.status} but the database changed`);
    }
  }

  // Long-polls and session-ending routes are fuzzed with their waits short and the session restored.
  const skip = (r: RouteInfo) => r.path.endsWith('/auth/logout');

  for (const caller of ['admin', 'proxy', 'anonymous'] as const) {
    it(`as ${caller}: never a 500, errors are JSON, refused requests change nothing`, async () => {
      // MySQL round trips are slower: fewer runs there, the same generators and seed.
      const runs = (caller === 'admin' ? 8 : 4) / (db().engine === 'mysql' ? 2 : 1);
      for (const route of routes.filter((r) => !skip(r))) {
        await fc.assert(
          fc.asyncProperty(param, query, body, async (p, q, payload) => {
            const path =
              fillPath(route.path, p) +
              (route.path.includes('snapshot') || route.path.includes('changes')
                ? q
                  ? `${q}&wait=0`
                  : '?wait=0'
                : q);
            const before = (await databaseDigest(ds)).digest;
            const res = await send(caller, route, path, payload);
            const after = (await databaseDigest(ds)).digest;
            check(caller, route, path, payload, res, before, after);
            if (caller === 'admin') await stillLoggedIn();
          }),
          { seed: SEED, numRuns: runs },
        );
      }
      expect(failures).toEqual([]);
    }, 120_000);
  }

  it('malformed JSON, wrong media types and oversized bodies on every write route: 4xx, nothing changes', async () => {
    const writes = routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE' && !skip(r));
    const raws = [
      '{',
      '{"a":',
      '[1,2',
      '{"a":1}garbage',
      'null',
      '"just a string"',
      '{"__proto__":{"isAdmin":true}}',
      '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ];
    for (const route of writes) {
      const path = fillPath(route.path, '00000000-0000-4000-8000-000000000000');
      for (const raw of raws) {
        const before = (await databaseDigest(ds)).digest;
        const res = await send('admin', route, path, undefined, raw);
        check('admin', route, path, raw, res, before, (await databaseDigest(ds)).digest);
      }
      const before = (await databaseDigest(ds)).digest;
      const big = await send('admin', route, path, { name: 'x'.repeat(2 * 1024 * 1024) });
      check('admin', route, path, '<2 MiB>', big, before, (await databaseDigest(ds)).digest);
      expect(big.status).toBeGreaterThanOrEqual(400);
      const form = await admin.agent[route.method.toLowerCase() as 'post'](path)
        .set('X-CSRF-Token', admin.csrf)
        .set('content-type', 'text/plain')
        .send('name=x');
      expect([500, 501, 503]).not.toContain(form.status);
      await stillLoggedIn();
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
