import type { INestApplication } from '@nestjs/common';
import { importPublicKey, verifyDeviceToken } from '@ksn/device-auth';
import type { DashboardResponse, Snapshot, TokenResponse } from '@ksn/contracts';
import request from 'supertest';
import { describeEachEngine } from '../test/databases';
import {
  ADMIN_PASSWORD,
  heartbeatBody,
  loginAs,
  startTestApp,
  TEST_ENROLMENT_TOKEN,
  TEST_PROXY_KEY,
} from '../test/app';

const beat = heartbeatBody;

describeEachEngine('security-center API', (db) => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const proxyAuth = { Authorization: `Bearer ${TEST_PROXY_KEY}` };

  beforeAll(async () => {
    app = await startTestApp(db().url);
    http = request(app.getHttpServer());
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('login', () => {
    it('sets an HttpOnly SameSite=Strict session cookie and returns the role and CSRF token', async () => {
      const res = await http
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD })
        .expect(200);
      expect(res.body).toMatchObject({ username: 'admin', role: 'admin', csrfToken: expect.any(String) });
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/ksn_session=/);
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
    });

    it('refuses a wrong password with 401 and a bad body with 400 naming the field', async () => {
      expect(
        (await http.post('/api/v1/auth/login').send({ username: 'admin', password: 'nope' }).expect(401))
          .body,
      ).toEqual({
        error: 'unauthorized',
        message: 'wrong username or password',
      });
      expect(
        (await http.post('/api/v1/auth/login').send({ username: 'admin', password: 5 }).expect(400)).body,
      ).toMatchObject({
        error: 'invalid_request',
        field: 'password',
      });
      expect(
        (
          await http
            .post('/api/v1/auth/login')
            .set('content-type', 'application/json')
            .send('{"username":')
            .expect(400)
        ).body,
      ).toMatchObject({
        error: 'invalid_request',
      });
    });

    it('needs a session for console routes and the CSRF header for writes; logout revokes the session', async () => {
      await http.get('/api/v1/auth/me').expect(401);
      await http.get('/api/v1/auth/me').set('Cookie', 'ksn_session=%E0%A4%A').expect(401);
      const { agent, csrf } = await loginAs(app);
      expect((await agent.get('/api/v1/auth/me').expect(200)).body).toMatchObject({
        username: 'admin',
        role: 'admin',
      });
      expect((await agent.post('/api/v1/auth/logout').expect(403)).body).toMatchObject({
        error: 'csrf_failed',
      });
      await agent.post('/api/v1/auth/logout').set('X-CSRF-Token', csrf).expect(204);
      await agent.get('/api/v1/auth/me').expect(401);
    });
  });

  describe('enrolment and snapshot', () => {
    it('trades the enrolment token for a device token the snapshot keys verify', async () => {
      const res = await http
        .post('/api/v1/enrol')
        .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'laptop-1' })
        .expect(201);
      const issued = res.body as TokenResponse;
      const snap = (await http.get('/api/v1/proxy/snapshot').set(proxyAuth).expect(200)).body as Snapshot;
      const keys = new Map(snap.keys.map((k) => [k.kid, importPublicKey(k.publicKey)]));
      const verified = verifyDeviceToken(issued.token, keys, Math.floor(Date.now() / 1000));
      expect(verified).toMatchObject({ ok: true, claims: { sub: issued.deviceId, grp: issued.groupId } });
      expect(snap.groups.map((g) => g.id)).toContain(issued.groupId);
      expect(snap.groups[0]!.policy.cloud.modules['file-threat-protection']).toBe(true);
    });

    it('refuses unknown enrolment tokens and malformed bodies', async () => {
      expect(
        (
          await http
            .post('/api/v1/enrol')
            .send({ enrolmentToken: 'ke_wrong-token-00000000000', deviceName: 'x' })
            .expect(401)
        ).body,
      ).toMatchObject({
        error: 'unauthorized',
        field: 'enrolmentToken',
      });
      expect(
        (
          await http
            .post('/api/v1/enrol')
            .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: '' })
            .expect(400)
        ).body,
      ).toMatchObject({
        field: 'deviceName',
      });
      expect(
        (
          await http
            .post('/api/v1/enrol')
            .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'x', extra: 1 })
            .expect(400)
        ).body,
      ).toEqual({
        error: 'invalid_request',
        message: 'extra unknown property',
        field: 'extra',
      });
    });

    it('serves the snapshot only to proxies, with an ETag, 304 when unchanged and a bounded long-poll', async () => {
      await http.get('/api/v1/proxy/snapshot').expect(401);
      await http
        .get('/api/v1/proxy/snapshot')
        .set({ Authorization: 'Bearer kp_not-a-registered-key-000000' })
        .expect(401);
      const first = await http.get('/api/v1/proxy/snapshot').set(proxyAuth).expect(200);
      const etag = first.headers['etag']!;
      expect(etag).toBe(`"v${(first.body as Snapshot).version}"`);
      await http.get('/api/v1/proxy/snapshot').set(proxyAuth).set('If-None-Match', etag).expect(304);
      const started = Date.now();
      await http.get('/api/v1/proxy/snapshot?wait=1').set(proxyAuth).set('If-None-Match', etag).expect(304);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(
        (await http.get('/api/v1/proxy/snapshot?wait=abc').set(proxyAuth).expect(400)).body,
      ).toMatchObject({ field: 'wait' });
    });
  });

  describe('heartbeat and dashboard', () => {
    it('aggregates heartbeat counters per minute and shows the proxy as connected', async () => {
      await http
        .post('/api/v1/proxy/heartbeat')
        .set(proxyAuth)
        .send(beat({ lookups: 10, cacheHits: 7 }))
        .expect(204);
      await http
        .post('/api/v1/proxy/heartbeat')
        .set(proxyAuth)
        .send(beat({ lookups: 5, cacheHits: 5, bytesSaved: 3_000_000_000 }))
        .expect(204);
      await http
        .post('/api/v1/proxy/heartbeat')
        .set(proxyAuth)
        .send({ ...beat(), counters: { lookups: -1 } })
        .expect(400);
      const { agent } = await loginAs(app);
      const dash = (await agent.get('/api/v1/dashboard?minutes=60').expect(200)).body as DashboardResponse;
      expect(dash.proxies).toEqual([
        expect.objectContaining({
          name: 'local',
          instanceId: 'proxy-a',
          connected: true,
          snapshotVersion: 2,
        }),
      ]);
      expect(dash.totals).toMatchObject({ lookups: 15, cacheHits: 12, bytesSaved: 3_000_000_000 });
      expect(dash.series.reduce((n, p) => n + p.lookups, 0)).toBe(15);
      expect(dash.devices).toBeGreaterThanOrEqual(1);
      await agent.get('/api/v1/dashboard?minutes=0').expect(400);
    });
  });

  describe('query parameters', () => {
    it('refuses a parameter given more than once with 400 naming it, after the access check', async () => {
      const { agent } = await loginAs(app);
      for (const path of [
        '/api/v1/devices?groupId=1.5&groupId=1e9',
        '/api/v1/devices?limit=1&limit=2',
        '/api/v1/audit?actor=a&actor=b',
      ]) {
        const res = await agent.get(path).expect(400);
        const field = /\?(\w+)=/.exec(path)?.[1];
        expect(res.body).toEqual({
          error: 'invalid_request',
          message: `${field} must be given once, as a single value`,
          field,
        });
      }
      await http
        .get(`/api/v1/proxy/snapshot?wait=0&wait=1`)
        .set(proxyAuth)
        .expect(400)
        .expect((r) => expect(r.body).toMatchObject({ error: 'invalid_request', field: 'wait' }));
      // The guard answers first: an anonymous caller learns nothing about the parameters.
      await http.get('/api/v1/devices?groupId=a&groupId=b').expect(401);
      // Once is fine, and an empty value is absent.
      await agent.get('/api/v1/devices?groupId=&limit=5').expect(200);
    });

    it('refuses instants that do not exist (body and query) with 400 naming the field, never 500', async () => {
      const { agent, csrf } = await loginAs(app);
      const post = (path: string, body: object) =>
        agent.post(path).set('X-CSRF-Token', csrf).send(body).expect(400);
      for (const [path, body] of [
        [
          '/api/v1/overrides',
          { hash: 'a'.repeat(64), action: 'block', comment: '', expiresAt: '2030-13-01T00:00:00Z' },
        ],
        ['/api/v1/api-tokens', { name: 'ci', role: 'auditor', expiresAt: '2030-01-01T00:60:00Z' }],
        [
          '/api/v1/overrides',
          { hash: 'a'.repeat(64), action: 'block', comment: '', expiresAt: '2030-02-31T00:00:00Z' },
        ],
      ] as const)
        expect((await post(path, body)).body).toMatchObject({ error: 'invalid_request', field: 'expiresAt' });
      expect((await agent.get('/api/v1/audit?from=2030-02-31T00:00:00Z').expect(400)).body).toMatchObject({
        field: 'from',
      });
    });
  });

  describe('health', () => {
    it('answers healthz, readyz and metrics without login', async () => {
      await http.get('/healthz').expect(200);
      await http.get('/readyz').expect(200, { status: 'ready' });
      const metrics = await http.get('/metrics').expect(200);
      expect(metrics.text).toContain('ksn_security_center_http_requests_total');
    });

    it('answers unknown API routes with a JSON 404', async () => {
      expect((await http.get('/api/v1/nope').expect(404)).body).toMatchObject({ error: 'not_found' });
    });
  });
});
