import type { INestApplication } from '@nestjs/common';
import type { Role } from '@ksn/contracts';
import request from 'supertest';
import { ADMIN_PASSWORD, loginAs, startTestApp, TEST_PROXY_KEY } from '../test/app';
import { describeEachEngine } from '../test/databases';
import { discoverRoutes, type RouteInfo } from '../test/routes';

type Who = 'public' | 'proxy' | Role[];
const ALL: Role[] = ['admin', 'operator', 'auditor'];
const WRITERS: Role[] = ['admin', 'operator'];
const ADMIN: Role[] = ['admin'];

/**
 * The access matrix: who may call each route. Routes come from the Nest router's metadata;
 * a route missing here fails the first test, so a new route cannot be left out.
 */
const MATRIX: Record<string, Who> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'POST /api/v1/auth/login': 'public',
  'GET /api/v1/auth/me': ALL,
  'POST /api/v1/auth/logout': ALL,
  'POST /api/v1/enrol': 'public',
  'GET /api/v1/proxy/snapshot': 'proxy',
  'POST /api/v1/proxy/heartbeat': 'proxy',
  'POST /api/v1/proxy/token-refresh': 'proxy',
  'GET /api/v1/dashboard': ALL,
  'GET /api/v1/groups': ALL,
  'POST /api/v1/groups': WRITERS,
  'GET /api/v1/groups/:id': ALL,
  'PATCH /api/v1/groups/:id': WRITERS,
  'DELETE /api/v1/groups/:id': WRITERS,
  'GET /api/v1/groups/:id/policy': ALL,
  'PUT /api/v1/groups/:id/policy': WRITERS,
  'GET /api/v1/groups/:id/effective-policy': ALL,
  'POST /api/v1/groups/:id/rules': WRITERS,
  'PATCH /api/v1/groups/:id/rules/:ruleId': WRITERS,
  'DELETE /api/v1/groups/:id/rules/:ruleId': WRITERS,
  'GET /api/v1/rules/hits': ALL,
  'GET /api/v1/devices': ALL,
  'GET /api/v1/devices/:id': ALL,
  'POST /api/v1/devices/move': WRITERS,
  'POST /api/v1/devices/:id/revoke': WRITERS,
  'GET /api/v1/enrolment-tokens': ALL,
  'POST /api/v1/enrolment-tokens': WRITERS,
  'DELETE /api/v1/enrolment-tokens/:id': WRITERS,
  'GET /api/v1/signing-keys': ALL,
  'POST /api/v1/signing-keys/rotate': ADMIN,
  'GET /api/v1/categories': ALL,
  'POST /api/v1/categories/sync': ADMIN,
  'GET /api/v1/reputation/:hash': ALL,
  'GET /api/v1/overrides': ALL,
  'POST /api/v1/overrides': WRITERS,
  'DELETE /api/v1/overrides/:id': WRITERS,
  'GET /api/v1/unknown-objects': ALL,
  'GET /api/v1/alerts': ALL,
  'POST /api/v1/alerts/:id/acknowledge': WRITERS,
  'GET /api/v1/proxies': ALL,
  'POST /api/v1/proxies': ADMIN,
  'GET /api/v1/proxies/:id': ALL,
  'DELETE /api/v1/proxies/:id': ADMIN,
  'GET /api/v1/proxies/:id/traffic': ALL,
  'GET /api/v1/users': ADMIN,
  'POST /api/v1/users': ADMIN,
  'PATCH /api/v1/users/:id': ADMIN,
  'DELETE /api/v1/users/:id': ADMIN,
  'GET /api/v1/api-tokens': ADMIN,
  'POST /api/v1/api-tokens': ADMIN,
  'DELETE /api/v1/api-tokens/:id': ADMIN,
  'GET /api/v1/audit': ALL,
};

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const SHA256 = 'e'.repeat(64);
const concrete = (path: string) => path.replace(':hash', SHA256).replace(/:\w+/g, UNKNOWN_ID);
const key = (r: RouteInfo) => `${r.method} ${r.path}`;

describeEachEngine('access matrix', (db) => {
  let app: INestApplication;
  let routes: RouteInfo[];
  const sessions = new Map<Role, { cookie: string; csrf: string }>();

  beforeAll(async () => {
    app = await startTestApp(
      db().url,
      { KSN_UPSTREAM_URL: 'http://127.0.0.1:9', UPSTREAM_TIMEOUT_MS: '500' },
      { jobs: false },
    );
    routes = discoverRoutes(app);
    const admin = await loginAs(app);
    for (const role of ['operator', 'auditor'] as const) {
      await admin.agent
        .post('/api/v1/users')
        .set('X-CSRF-Token', admin.csrf)
        .send({ username: `${role}1`, password: ADMIN_PASSWORD, role })
        .expect(201);
    }
    for (const [role, username] of [
      ['admin', 'admin'],
      ['operator', 'operator1'],
      ['auditor', 'auditor1'],
    ] as const) {
      const res = await request(app.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username, password: ADMIN_PASSWORD })
        .expect(200);
      sessions.set(role, {
        cookie: String(res.headers['set-cookie']).split(';')[0]!,
        csrf: (res.body as { csrfToken: string }).csrfToken,
      });
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every route the router serves, and nothing else', () => {
    expect(routes.map(key).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it('every console route declares its roles explicitly or is read-only for all roles', () => {
    for (const r of routes) {
      const who = MATRIX[key(r)]!;
      if (Array.isArray(who) && r.method !== 'GET' && who.includes('auditor')) {
        // Only session housekeeping is a write every role may do.
        expect(key(r)).toBe('POST /api/v1/auth/logout');
      }
    }
  });

  const send = (r: RouteInfo, headers: Record<string, string>) => {
    const http = request(app.getHttpServer());
    const path = concrete(r.path);
    const req =
      r.method === 'GET'
        ? http.get(path)
        : r.method === 'POST'
          ? http.post(path)
          : r.method === 'PUT'
            ? http.put(path)
            : r.method === 'PATCH'
              ? http.patch(path)
              : http.delete(path);
    req.set(headers);
    return r.method === 'GET' || r.method === 'DELETE' ? req : req.send({});
  };

  it('anonymous callers get 401 everywhere but public routes', async () => {
    for (const r of routes) {
      const who = MATRIX[key(r)];
      const res = await send(r, {});
      const got = res.status === 401 || res.status === 403 ? res.status : 'allowed';
      expect([key(r), got]).toEqual([key(r), who === 'public' ? 'allowed' : 401]);
    }
  });

  it('each role is let through exactly where the matrix says (403 elsewhere), proxies only on proxy routes', async () => {
    for (const r of routes) {
      const who = MATRIX[key(r)]!;
      for (const role of ['admin', 'operator', 'auditor'] as const) {
        if (key(r) === 'POST /api/v1/auth/logout') continue; // would end the session; covered below
        const s = sessions.get(role)!;
        const res = await send(r, { Cookie: s.cookie, 'X-CSRF-Token': s.csrf });
        const expected = who === 'proxy' ? 401 : who === 'public' || who.includes(role) ? 'allowed' : 403;
        const got = res.status === 401 || res.status === 403 ? res.status : 'allowed';
        expect([key(r), role, got]).toEqual([key(r), role, expected]);
      }
      const asProxy = await send(r, { Authorization: `Bearer ${TEST_PROXY_KEY}` });
      const proxyExpected = who === 'proxy' || who === 'public' ? 'allowed' : 401;
      expect([
        key(r),
        'proxy',
        asProxy.status === 401 || asProxy.status === 403 ? asProxy.status : 'allowed',
      ]).toEqual([key(r), 'proxy', proxyExpected]);
    }
  }, 60_000);

  it('logout is open to every role and ends only that session', async () => {
    for (const role of ['operator', 'auditor'] as const) {
      const s = sessions.get(role)!;
      await request(app.getHttpServer())
        .post('/api/v1/auth/logout')
        .set({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf })
        .expect(204);
      await request(app.getHttpServer()).get('/api/v1/auth/me').set({ Cookie: s.cookie }).expect(401);
    }
    await request(app.getHttpServer())
      .get('/api/v1/auth/me')
      .set({ Cookie: sessions.get('admin')!.cookie })
      .expect(200);
  });
});
