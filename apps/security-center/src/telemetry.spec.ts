import type { INestApplication } from '@nestjs/common';
import {
  zeroCounters,
  type CreatedProxy,
  type DashboardResponse,
  type ProxyDetail,
  type RuleHitView,
  type TrafficLogEntry,
  type UnknownObjectPage,
  type VerdictAlertView,
} from '@ksn/contracts';
import request from 'supertest';
import { loginAs, startTestApp, TEST_ENROLMENT_TOKEN, TEST_PROXY_KEY } from '../test/app';
import { describeEachEngine } from '../test/databases';

const zero = zeroCounters();
const KEY_A = 'sha256:' + 'a'.repeat(64);
const KEY_B = 'sha256:' + 'b'.repeat(64);

describeEachEngine('heartbeat telemetry', (db) => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const http = () => request(app.getHttpServer());
  const beat = (key: string, extra: Record<string, unknown>) =>
    http()
      .post('/api/v1/proxy/heartbeat')
      .set({ Authorization: `Bearer ${key}` })
      .send({
        instanceId: 'p1',
        version: '1.0.0',
        snapshotVersion: 1,
        cacheEntries: 5,
        counters: zero,
        ...extra,
      });

  beforeAll(async () => {
    app = await startTestApp(db().url, {}, { jobs: false });
    admin = await loginAs(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('registers a proxy with a key shown once, and reports its health', async () => {
    const created = (
      await admin.agent
        .post('/api/v1/proxies')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: 'branch' })
        .expect(201)
    ).body as CreatedProxy;
    expect(created.apiKey).toMatch(/^kp_/);
    let detail = (await admin.agent.get(`/api/v1/proxies/${created.id}`).expect(200)).body as ProxyDetail;
    expect(detail).toMatchObject({
      name: 'branch',
      connected: false,
      upToDate: false,
      lastHeartbeatAt: null,
      secondsSinceHeartbeat: null,
    });
    const current = detail.currentSnapshotVersion;
    await beat(created.apiKey, { snapshotVersion: current }).expect(204);
    detail = (await admin.agent.get(`/api/v1/proxies/${created.id}`).expect(200)).body as ProxyDetail;
    expect(detail).toMatchObject({
      connected: true,
      upToDate: true,
      snapshotVersion: current,
      instanceId: 'p1',
    });
    expect(JSON.stringify((await admin.agent.get('/api/v1/proxies').expect(200)).body)).not.toContain(
      created.apiKey,
    );
    await admin.agent.get('/api/v1/proxies/nope').expect(404);
    await admin.agent.delete(`/api/v1/proxies/${created.id}`).set('X-CSRF-Token', admin.csrf).expect(204);
    await beat(created.apiKey, {}).expect(401);
  });

  it('sets the last-seen time of the devices a proxy reports active', async () => {
    const enrolled = (
      await http()
        .post('/api/v1/enrol')
        .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'seen-1' })
        .expect(201)
    ).body as { deviceId: string };
    expect((await admin.agent.get(`/api/v1/devices/${enrolled.deviceId}`).expect(200)).body).toMatchObject({
      lastSeenAt: null,
    });
    const before = new Date().toISOString();
    await beat(TEST_PROXY_KEY, { activeDevices: [enrolled.deviceId, 'not-a-device'] }).expect(204);
    const seen = (
      (await admin.agent.get(`/api/v1/devices/${enrolled.deviceId}`).expect(200)).body as {
        lastSeenAt: string;
      }
    ).lastSeenAt;
    expect(seen >= before.slice(0, 19)).toBe(true);
  });

  it('counts unknown objects by distinct devices across beats and proxies', async () => {
    const now = new Date().toISOString();
    await beat(TEST_PROXY_KEY, {
      unknownObjects: [
        { key: KEY_A, deviceIds: ['d1', 'd2'], firstSeen: now, lastSeen: now },
        { key: KEY_B, deviceIds: ['d1'], firstSeen: now, lastSeen: now },
      ],
    }).expect(204);
    await beat(TEST_PROXY_KEY, {
      unknownObjects: [
        { key: KEY_A, deviceIds: ['d2', 'd3'], firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: now },
      ],
    }).expect(204);
    const page = (await admin.agent.get('/api/v1/unknown-objects').expect(200)).body as UnknownObjectPage;
    expect(page.total).toBe(2);
    expect(page.items[0]).toMatchObject({
      key: KEY_A,
      devices: 3,
      firstSeen: '2026-01-01T00:00:00.000Z',
      override: null,
    });
    expect(page.items[1]).toMatchObject({ key: KEY_B, devices: 1 });
    await admin.agent
      .post('/api/v1/overrides')
      .set('X-CSRF-Token', admin.csrf)
      .send({ hash: 'b'.repeat(64), action: 'block', comment: 'decided' })
      .expect(201);
    expect(
      ((await admin.agent.get('/api/v1/unknown-objects').expect(200)).body as UnknownObjectPage).items[1],
    ).toMatchObject({ key: KEY_B, override: 'block' });
    await beat(TEST_PROXY_KEY, {
      unknownObjects: [{ key: KEY_A, deviceIds: [], firstSeen: now, lastSeen: now }],
    }).expect(400);
  });

  it('stores a full heartbeat (1000 unknown objects of 100 devices each, 1000 rule hits) in bounded time', async () => {
    const now = new Date().toISOString();
    const deviceIds = Array.from({ length: 100 }, (_, i) => `dev-${i}`);
    const unknownObjects = Array.from({ length: 1000 }, (_, i) => ({
      key: `md5:${i.toString(16).padStart(32, '0')}`,
      deviceIds,
      firstSeen: now,
      lastSeen: now,
    }));
    const ruleHits = Array.from({ length: 1000 }, (_, i) => ({
      groupId: 'g-big',
      ruleId: `big-${i}`,
      hits: 1,
    }));
    const started = Date.now();
    await beat(TEST_PROXY_KEY, { unknownObjects, ruleHits }).expect(204);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(5_000);
    const page = (await admin.agent.get('/api/v1/unknown-objects?limit=1').expect(200))
      .body as UnknownObjectPage;
    expect(page.total).toBeGreaterThanOrEqual(1000);
    expect(page.items[0]!.devices).toBe(100);
    // The same beat again adds nothing to prevalence but counts the hits twice.
    await beat(TEST_PROXY_KEY, {
      unknownObjects: unknownObjects.slice(0, 10),
      ruleHits: ruleHits.slice(0, 1),
    }).expect(204);
    const hits = (await admin.agent.get('/api/v1/rules/hits').expect(200)).body as RuleHitView[];
    expect(hits.find((h) => h.ruleId === 'big-0')).toMatchObject({ hits: 2, groupId: 'g-big' });
    expect(
      ((await admin.agent.get('/api/v1/unknown-objects?limit=1').expect(200)).body as UnknownObjectPage)
        .items[0]!.devices,
    ).toBe(100);
  }, 30_000);

  it('stores rule hits with the last hit time, and verdict-change alerts once however often reported', async () => {
    await beat(TEST_PROXY_KEY, { ruleHits: [{ groupId: 'g1', ruleId: 'r1', hits: 3 }] }).expect(204);
    await beat(TEST_PROXY_KEY, {
      ruleHits: [
        { groupId: 'g1', ruleId: 'r1', hits: 2 },
        { groupId: 'g1', ruleId: 'r2', hits: 1 },
      ],
    }).expect(204);
    const hits = ((await admin.agent.get('/api/v1/rules/hits').expect(200)).body as RuleHitView[]).filter(
      (h) => h.groupId === 'g1',
    );
    expect(hits).toEqual([
      { ruleId: 'r1', groupId: 'g1', hits: 5, lastHitAt: expect.any(String) },
      { ruleId: 'r2', groupId: 'g1', hits: 1, lastHitAt: expect.any(String) },
    ]);

    const change = { key: KEY_A, from: 'unknown', to: 'malicious', at: '2026-11-27T10:00:00.000Z' };
    await beat(TEST_PROXY_KEY, { verdictChanges: [change] }).expect(204);
    await beat(TEST_PROXY_KEY, { verdictChanges: [change] }).expect(204);
    const open = (await admin.agent.get('/api/v1/alerts?acknowledged=false').expect(200))
      .body as VerdictAlertView[];
    expect(open).toEqual([
      expect.objectContaining({
        key: KEY_A,
        from: 'unknown',
        to: 'malicious',
        devices: 3,
        acknowledgedAt: null,
      }),
    ]);
    expect(
      ((await admin.agent.get('/api/v1/dashboard').expect(200)).body as DashboardResponse).openAlerts,
    ).toBe(1);
    const acked = (
      await admin.agent
        .post(`/api/v1/alerts/${open[0]!.id}/acknowledge`)
        .set('X-CSRF-Token', admin.csrf)
        .expect(200)
    ).body as VerdictAlertView;
    expect(acked).toMatchObject({ acknowledgedBy: 'admin', acknowledgedAt: expect.any(String) });
    expect((await admin.agent.get('/api/v1/alerts?acknowledged=false').expect(200)).body).toEqual([]);
    await admin.agent.get('/api/v1/alerts?acknowledged=maybe').expect(400);
  });

  it('keeps the traffic log per minute and kind, and the dashboard per proxy with rates', async () => {
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    const t = { minute, kind: 'lookup', requests: 2, items: 10, bytesSent: 1000, bytesReceived: 3000 };
    await beat(TEST_PROXY_KEY, { traffic: [t], counters: { ...zero, lookups: 60, cacheHits: 45 } }).expect(
      204,
    );
    await beat(TEST_PROXY_KEY, { traffic: [t, { ...t, kind: 'telemetry', items: 1 }] }).expect(204);
    const proxies = (await admin.agent.get('/api/v1/proxies').expect(200)).body as {
      id: string;
      name: string;
    }[];
    const local = proxies.find((p) => p.name === 'local')!;
    const log = (await admin.agent.get(`/api/v1/proxies/${local.id}/traffic?minutes=5`).expect(200))
      .body as TrafficLogEntry[];
    expect(log).toEqual([
      { minute, kind: 'lookup', requests: 4, items: 20, bytesSent: 2000, bytesReceived: 6000 },
      { minute, kind: 'telemetry', requests: 2, items: 1, bytesSent: 1000, bytesReceived: 3000 },
    ]);
    const dash = (await admin.agent.get('/api/v1/dashboard?range=hour').expect(200))
      .body as DashboardResponse;
    expect(dash).toMatchObject({
      windowMinutes: 60,
      bucketMinutes: 1,
      totals: { lookups: 60, cacheHits: 45 },
    });
    expect(dash.rates).toEqual({ lookupsPerSecond: 60 / 3600, hitRatio: 0.75 });
    expect(dash.perProxy!.find((p) => p.proxyId === local.id)!.totals.lookups).toBe(60);
    const month = (await admin.agent.get('/api/v1/dashboard?range=month').expect(200))
      .body as DashboardResponse;
    expect(month).toMatchObject({ windowMinutes: 43_200, bucketMinutes: 60 });
    expect(month.series.every((p) => p.minute.endsWith(':00:00.000Z'))).toBe(true);
    expect((await admin.agent.get('/api/v1/dashboard?range=year').expect(400)).body).toMatchObject({
      field: 'range',
    });
  });
});
