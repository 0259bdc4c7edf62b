import type { INestApplication } from '@nestjs/common';
import type {
  CreatedEnrolmentToken,
  DeviceView,
  EffectivePolicyView,
  GroupPolicyView,
  GroupView,
  TokenResponse,
} from '@ksn/contracts';
import type { EventEmitter } from 'node:events';
import request from 'supertest';
import { SnapshotService } from './snapshot/snapshot.service';
import { heartbeatBody, loginAs, startTestApp, TEST_ENROLMENT_TOKEN, TEST_PROXY_KEY } from '../test/app';
import { describeEachEngine } from '../test/databases';

const beat = (counters: Parameters<typeof heartbeatBody>[0] = {}, extra: Record<string, unknown> = {}) =>
  heartbeatBody(counters, { instanceId: 'proxy-regressions', ...extra });

describeEachEngine('management API regressions', (db) => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  let rootId: string;
  const proxyAuth = { Authorization: `Bearer ${TEST_PROXY_KEY}` };
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp(db().url, {}, { jobs: false });
    admin = await loginAs(app);
    rootId = ((await admin.agent.get('/api/v1/groups').expect(200)).body as GroupView[])[0]!.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('leaves no change listener behind after an idle long-poll times out', async () => {
    const changes = (app.get(SnapshotService) as unknown as { changes: EventEmitter }).changes;
    const first = await http().get('/api/v1/proxy/snapshot').set(proxyAuth).expect(200);
    const before = changes.listenerCount('change');
    await http()
      .get('/api/v1/proxy/snapshot?wait=2')
      .set(proxyAuth)
      .set('If-None-Match', first.headers['etag']!)
      .expect(304);
    expect(changes.listenerCount('change')).toBe(before);
  });

  it('keeps the inherited application-control rules when one rule is added to an inheriting group', async () => {
    const parent = await admin.group('AppControl parent', rootId);
    const child = await admin.group('AppControl child', parent.id);
    const games = { kind: 'category', path: 'Games' };
    const parentView = (
      await admin
        .write('put', `/api/v1/groups/${parent.id}/policy`)
        .send({
          version: 1,
          policy: {
            locked: [],
            appControl: {
              mode: 'default-allow',
              testMode: false,
              rules: [{ action: 'block', status: 'on', match: games }],
            },
          },
        })
        .expect(200)
    ).body as GroupPolicyView;
    const inheritedId = parentView.policy.appControl!.rules[0]!.id;
    const acme = { kind: 'vendor', vendor: 'Acme' };
    const view = (
      await admin
        .write('post', `/api/v1/groups/${child.id}/rules`)
        .send({ version: 1, rule: { action: 'block', status: 'on', match: acme } })
        .expect(201)
    ).body as GroupPolicyView;
    expect(view.policy.appControl!.rules).toMatchObject([
      { action: 'block', status: 'on', match: games },
      { action: 'block', status: 'on', match: acme },
    ]);
    // Rule ids are unique across groups: the copy of the inherited rule has its own.
    expect(view.policy.appControl!.rules[0]!.id).not.toBe(inheritedId);
    const effective = (await admin.agent.get(`/api/v1/groups/${child.id}/effective-policy`).expect(200))
      .body as EffectivePolicyView;
    expect(effective.settings.appControl.rules.map((r) => r.match)).toEqual([games, acme]);

    // An id already used by another group is named as the request's field.
    expect(
      (
        await admin
          .write('post', `/api/v1/groups/${child.id}/rules`)
          .send({ version: 2, rule: { id: inheritedId, action: 'allow', status: 'on', match: acme } })
          .expect(409)
      ).body,
    ).toMatchObject({ error: 'conflict', field: 'rule.id' });
  });

  it('refuses heartbeat integers that 32-bit columns cannot hold with 400 naming the field', async () => {
    const post = (body: object) => http().post('/api/v1/proxy/heartbeat').set(proxyAuth).send(body);
    expect((await post(beat({ lookups: 3_000_000_000 })).expect(400)).body).toMatchObject({
      error: 'invalid_request',
      field: 'counters.lookups',
    });
    expect((await post(beat({}, { cacheEntries: 2 ** 31 })).expect(400)).body).toMatchObject({
      field: 'cacheEntries',
    });
    expect((await post(beat({}, { snapshotVersion: 2 ** 31 })).expect(400)).body).toMatchObject({
      field: 'snapshotVersion',
    });
    // The largest value an INT holds is stored; bytesSaved is a bigint column and is not bounded by it.
    await post(
      beat({ lookups: 2_147_483_647, bytesSaved: 3_000_000_000 }, { cacheEntries: 2_147_483_647 }),
    ).expect(204);
  });

  it('stores the real group id when a device is moved or a token is created with another letter case', async () => {
    const target = await admin.group('Case target', rootId);
    const shouted = target.id.toUpperCase();
    expect(shouted).not.toBe(target.id);

    const device = (
      await http()
        .post('/api/v1/enrol')
        .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'case-pc' })
        .expect(201)
    ).body as TokenResponse;
    const move = await admin.write('post', '/api/v1/devices/move').send({
      deviceIds: [device.deviceId],
      groupId: shouted,
    });
    expect([200, 404]).toContain(move.status);
    const stored = (await admin.agent.get(`/api/v1/devices/${device.deviceId}`).expect(200))
      .body as DeviceView;
    expect(stored.groupId).toBe(move.status === 200 ? target.id : device.groupId);

    const created = await admin
      .write('post', '/api/v1/enrolment-tokens')
      .send({ label: 'case', groupId: shouted });
    expect([201, 404]).toContain(created.status);
    if (created.status === 201) {
      const token = created.body as CreatedEnrolmentToken;
      expect(token.groupId).toBe(target.id);
      const enrolled = (
        await http()
          .post('/api/v1/enrol')
          .send({ enrolmentToken: token.token, deviceName: 'case-pc-2' })
          .expect(201)
      ).body as TokenResponse;
      expect(enrolled.groupId).toBe(target.id);
    }
  });

  it('records a device enrolment in the audit log, with the enrolment token as the actor', async () => {
    const enrolled = (
      await http()
        .post('/api/v1/enrol')
        .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'audited-pc' })
        .expect(201)
    ).body as TokenResponse;
    const page = (
      await admin.agent.get(`/api/v1/audit?objectType=device&objectId=${enrolled.deviceId}`).expect(200)
    ).body as { items: { actor: string; action: string; after: { name: string; groupId: string } }[] };
    expect(page.items).toEqual([
      expect.objectContaining({
        actor: expect.stringMatching(/^enrolment-token:/) as string,
        action: 'device.enrol',
        after: expect.objectContaining({ name: 'audited-pc', groupId: enrolled.groupId }) as object,
      }),
    ]);
  });
});
