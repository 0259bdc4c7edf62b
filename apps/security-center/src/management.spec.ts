import type { INestApplication } from '@nestjs/common';
import type {
  AuditPage,
  CreatedEnrolmentToken,
  DevicePage,
  EffectivePolicyView,
  GroupPolicyView,
  GroupView,
  OverrideView,
  SigningKeyView,
  Snapshot,
  TokenResponse,
} from '@ksn/contracts';
import { importPrivateKey, importPublicKey, signDeviceToken, verifyDeviceToken } from '@ksn/device-auth';
import request from 'supertest';
import { DataSource, IsNull } from 'typeorm';
import { SigningKey } from './enrolment/signing-key.entity';
import { OverrideEntity } from './overrides/override.entity';
import { SnapshotService } from './snapshot/snapshot.service';
import { loginAs, startTestApp, TEST_ENROLMENT_TOKEN, TEST_PROXY_KEY } from '../test/app';
import { describeEachEngine } from '../test/databases';

const CLOUD_ALL_ON = {
  'file-threat-protection': true,
  'web-threat-protection': true,
  'mail-threat-protection': true,
  'behavior-detection': true,
  'exploit-prevention': true,
  'host-intrusion-prevention': true,
  'application-control': true,
  'anti-spam': true,
};

describeEachEngine('management API', (db) => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  let rootId: string;
  const proxyAuth = { Authorization: `Bearer ${TEST_PROXY_KEY}` };
  const http = () => request(app.getHttpServer());
  const snapshot = async () =>
    (await http().get('/api/v1/proxy/snapshot').set(proxyAuth).expect(200)).body as Snapshot;

  beforeAll(async () => {
    app = await startTestApp(db().url, {}, { jobs: false });
    admin = await loginAs(app);
    rootId = ((await admin.agent.get('/api/v1/groups').expect(200)).body as GroupView[])[0]!.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('groups', () => {
    it('creates, renames and moves groups, with 409 on a stale version and 400 on a cycle', async () => {
      const a = await admin.group('A', rootId);
      const b = await admin.group('B', a.id);
      expect(b).toMatchObject({ name: 'B', parentId: a.id, version: 1, deviceCount: 0 });
      const renamed = (
        await admin.write('patch', `/api/v1/groups/${b.id}`).send({ version: 1, name: 'B2' }).expect(200)
      ).body as GroupView;
      expect(renamed).toMatchObject({ name: 'B2', version: 2 });
      expect(
        (
          await admin
            .write('patch', `/api/v1/groups/${b.id}`)
            .send({ version: 1, name: 'lost update' })
            .expect(409)
        ).body,
      ).toMatchObject({ error: 'conflict', field: 'version' });
      expect(
        (
          await admin
            .write('patch', `/api/v1/groups/${a.id}`)
            .send({ version: 1, parentId: b.id })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'parentId' });
      const moved = (
        await admin
          .write('patch', `/api/v1/groups/${b.id}`)
          .send({ version: 2, parentId: rootId })
          .expect(200)
      ).body as GroupView;
      expect(moved.parentId).toBe(rootId);
      expect(
        (await admin.write('post', '/api/v1/groups').send({ name: 'x', parentId: 'nope' }).expect(404)).body,
      ).toMatchObject({ error: 'not_found', field: 'parentId' });
      expect(
        (await admin.write('post', '/api/v1/groups').send({ name: '', parentId: rootId }).expect(400)).body,
      ).toMatchObject({ field: 'name' });
      expect(
        (
          await admin
            .write('post', '/api/v1/groups')
            .send({ name: 'x', parentId: rootId, colour: 'red' })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'colour', message: 'colour unknown property' });
      await admin.agent.get('/api/v1/groups/nope').expect(404);
    });

    it('deletes only empty groups unless asked to cascade; cascading revokes the devices in the subtree', async () => {
      const parent = await admin.group('Doomed', rootId);
      const child = await admin.group('Doomed child', parent.id);
      const token = (
        await admin
          .write('post', '/api/v1/enrolment-tokens')
          .send({ label: 'doomed', groupId: child.id })
          .expect(201)
      ).body as CreatedEnrolmentToken;
      const device = (
        await http().post('/api/v1/enrol').send({ enrolmentToken: token.token, deviceName: 'pc' }).expect(201)
      ).body as TokenResponse;
      expect((await admin.write('delete', `/api/v1/groups/${parent.id}`).expect(409)).body).toMatchObject({
        error: 'conflict',
      });
      await admin.write('delete', `/api/v1/groups/${parent.id}?cascade=yes`).expect(400);
      await admin.write('delete', `/api/v1/groups/${parent.id}?cascade=true`).expect(204);
      await admin.agent.get(`/api/v1/groups/${child.id}`).expect(404);
      expect((await admin.agent.get(`/api/v1/devices/${device.deviceId}`).expect(200)).body).toMatchObject({
        groupId: rootId,
        revokedAt: expect.any(String),
      });
      expect((await snapshot()).revoked.map((r) => r.deviceId)).toContain(device.deviceId);
      await admin.write('delete', `/api/v1/groups/${rootId}`).expect(409);
    });
  });

  describe('policies', () => {
    it('inherits, locks and explains every setting; a stale version is a 409; rules get unique ids', async () => {
      const parent = await admin.group('Policy parent', rootId);
      const child = await admin.group('Policy child', parent.id);
      const cloud = { modules: { ...CLOUD_ALL_ON, 'anti-spam': false } };
      const put = (id: string, version: number, policy: unknown) =>
        admin.write('put', `/api/v1/groups/${id}/policy`).send({ version, policy });
      const p1 = (await put(parent.id, 1, { cloud, locked: ['cloud'] }).expect(200)).body as GroupPolicyView;
      expect(p1.version).toBe(2);
      await put(parent.id, 1, { locked: [] }).expect(409);
      const audit = (
        await admin.agent.get(`/api/v1/audit?objectType=policy&objectId=${parent.id}`).expect(200)
      ).body as AuditPage;
      expect(audit.items).toEqual([
        expect.objectContaining({
          action: 'policy.update',
          actor: 'admin',
          before: { locked: [] },
          after: { cloud, locked: ['cloud'] },
        }),
      ]);

      const eff = (await admin.agent.get(`/api/v1/groups/${child.id}/effective-policy`).expect(200))
        .body as EffectivePolicyView;
      expect(eff.settings.cloud.modules['anti-spam']).toBe(false);
      expect(eff.settingSources.find((s) => s.path === 'cloud.modules.anti-spam')).toEqual({
        path: 'cloud.modules.anti-spam',
        value: false,
        from: 'inherited',
        groupId: parent.id,
        groupName: 'Policy parent',
        lockedBy: parent.id,
        lockedByName: 'Policy parent',
      });
      expect(eff.settingSources.find((s) => s.path === 'ksn.participation')).toEqual({
        path: 'ksn.participation',
        value: 'extended',
        from: 'default',
      });

      // The child cannot change a locked section (409 naming it), but may set the others.
      expect(
        (await put(child.id, 1, { cloud: { modules: CLOUD_ALL_ON }, locked: [] }).expect(409)).body,
      ).toMatchObject({ field: 'policy.cloud' });
      const rules = [
        { action: 'block', status: 'on', match: { kind: 'category', path: 'Games' } },
        { id: 'allow-acme', action: 'allow', status: 'test', match: { kind: 'vendor', vendor: 'Acme' } },
      ];
      const p2 = (
        await put(child.id, 1, {
          appControl: { mode: 'default-allow', testMode: false, rules },
          locked: [],
        }).expect(200)
      ).body as GroupPolicyView;
      const ids = p2.policy.appControl!.rules.map((r) => r.id);
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[1]).toBe('allow-acme');
      expect(p2.effective.sources.appControl).toEqual({ from: 'own', groupId: child.id });

      // Rule ids are unique across groups.
      expect(
        (
          await put(parent.id, 2, {
            cloud,
            locked: ['cloud'],
            appControl: { mode: 'default-allow', testMode: false, rules: [rules[1]] },
          }).expect(409)
        ).body,
      ).toMatchObject({ field: 'policy.appControl.rules[0].id' });
      expect((await put(child.id, 2, { locked: [], extra: 1 }).expect(400)).body).toMatchObject({
        field: 'policy.extra',
      });
      expect(
        (
          await put(child.id, 2, {
            locked: [],
            ksn: {
              participation: 'sometimes',
              sending: { statistics: true, detectedObjects: true, urls: true },
            },
          }).expect(400)
        ).body,
      ).toMatchObject({ field: 'policy.ksn.participation' });

      const snap = await snapshot();
      const childInSnap = snap.groups.find((g) => g.id === child.id)!;
      expect(childInSnap.policy.cloud.modules['anti-spam']).toBe(false);
      expect(childInSnap.policy.appControl.rules.map((r) => r.id)).toEqual(ids);
    });

    it('edits one rule at a time under the policy version, starting a section from the effective one', async () => {
      const g = await admin.group('Rules one by one', rootId);
      const hash = { kind: 'hash', sha256: 'c'.repeat(64) };
      let view = (
        await admin
          .write('post', `/api/v1/groups/${g.id}/rules`)
          .send({ version: 1, rule: { action: 'block', status: 'on', match: hash } })
          .expect(201)
      ).body as GroupPolicyView;
      expect(view.version).toBe(2);
      expect(view.policy.appControl).toMatchObject({
        mode: 'default-allow',
        testMode: false,
        rules: [{ action: 'block', match: hash }],
      });
      const first = view.policy.appControl!.rules[0]!.id;
      view = (
        await admin
          .write('post', `/api/v1/groups/${g.id}/rules`)
          .send({
            version: 2,
            rule: {
              id: `first-${g.id}`,
              action: 'allow',
              status: 'test',
              match: { kind: 'vendor', vendor: 'Acme' },
            },
            index: 0,
          })
          .expect(201)
      ).body as GroupPolicyView;
      expect(view.policy.appControl!.rules.map((r) => r.id)).toEqual([`first-${g.id}`, first]);
      await admin
        .write('patch', `/api/v1/groups/${g.id}/rules/${first}`)
        .send({ version: 2, status: 'off' })
        .expect(409);
      view = (
        await admin
          .write('patch', `/api/v1/groups/${g.id}/rules/${first}`)
          .send({ version: 3, status: 'off', index: 0 })
          .expect(200)
      ).body as GroupPolicyView;
      expect(view.policy.appControl!.rules.map((r) => [r.id, r.status])).toEqual([
        [first, 'off'],
        [`first-${g.id}`, 'test'],
      ]);
      await admin
        .write('patch', `/api/v1/groups/${g.id}/rules/nope`)
        .send({ version: 4, status: 'on' })
        .expect(404);
      expect(
        (
          await admin
            .write('patch', `/api/v1/groups/${g.id}/rules/${first}`)
            .send({ version: 4, match: { kind: 'hash', sha256: 'XYZ' } })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'match.sha256' });
      await admin.write('delete', `/api/v1/groups/${g.id}/rules/${first}`).expect(400);
      await admin.write('delete', `/api/v1/groups/${g.id}/rules/${first}?version=3`).expect(409);
      view = (await admin.write('delete', `/api/v1/groups/${g.id}/rules/${first}?version=4`).expect(200))
        .body as GroupPolicyView;
      expect(view.policy.appControl!.rules.map((r) => r.id)).toEqual([`first-${g.id}`]);
    });

    it('lets exactly one of two concurrent edits of the same version win; the other gets 409', async () => {
      const g = await admin.group('Contended', rootId);
      const edit = (participation: string) =>
        admin.write('put', `/api/v1/groups/${g.id}/policy`).send({
          version: 1,
          policy: {
            locked: [],
            ksn: { participation, sending: { statistics: false, detectedObjects: false, urls: false } },
          },
        });
      const results = await Promise.all([edit('basic'), edit('off')]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!.body as GroupPolicyView;
      const stored = (await admin.agent.get(`/api/v1/groups/${g.id}/policy`).expect(200))
        .body as GroupPolicyView;
      expect(stored).toMatchObject({
        version: 2,
        policy: { ksn: { participation: winner.policy.ksn!.participation } },
      });
    });

    it('wakes a waiting proxy within 2 s of a policy change', async () => {
      const g = await admin.group('Long-poll', rootId);
      const first = await http().get('/api/v1/proxy/snapshot').set(proxyAuth).expect(200);
      const started = Date.now();
      const waiting = http()
        .get('/api/v1/proxy/snapshot?wait=30')
        .set(proxyAuth)
        .set('If-None-Match', first.headers['etag']!)
        .then((r) => r);
      await new Promise((r) => setTimeout(r, 200));
      await admin
        .write('put', `/api/v1/groups/${g.id}/policy`)
        .send({
          version: 1,
          policy: {
            locked: [],
            ksn: {
              participation: 'basic',
              sending: { statistics: false, detectedObjects: false, urls: false },
            },
          },
        })
        .expect(200);
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2000);
      expect((res.body as Snapshot).groups.find((x) => x.id === g.id)!.policy.ksn.participation).toBe(
        'basic',
      );
    });
  });

  describe('devices, enrolment and tokens', () => {
    it('enrols with limited tokens, moves and revokes devices, and the snapshot says so', async () => {
      const target = await admin.group('Target', rootId);
      expect(
        (
          await admin
            .write('post', '/api/v1/enrolment-tokens')
            .send({ label: 'x', groupId: rootId, expiresAt: '2000-01-01T00:00:00Z' })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'expiresAt' });
      expect(
        (
          await admin
            .write('post', '/api/v1/enrolment-tokens')
            .send({ label: 'x', groupId: rootId, maxUses: 0 })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'maxUses' });
      const once = (
        await admin
          .write('post', '/api/v1/enrolment-tokens')
          .send({ label: 'one use', groupId: target.id, maxUses: 1 })
          .expect(201)
      ).body as CreatedEnrolmentToken;
      expect(once.token).toMatch(/^ke_/);
      const d1 = (
        await http()
          .post('/api/v1/enrol')
          .send({ enrolmentToken: once.token, deviceName: 'pc-1' })
          .expect(201)
      ).body as TokenResponse;
      expect(d1.groupId).toBe(target.id);
      await http().post('/api/v1/enrol').send({ enrolmentToken: once.token, deviceName: 'pc-2' }).expect(401);
      const listed = (await admin.agent.get('/api/v1/enrolment-tokens').expect(200)).body as {
        id: string;
        uses: number;
        token?: string;
      }[];
      expect(listed.find((t) => t.id === once.id)).toMatchObject({ uses: 1 });
      expect(listed.every((t) => t.token === undefined)).toBe(true);

      const d2 = (
        await http()
          .post('/api/v1/enrol')
          .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'pc-3' })
          .expect(201)
      ).body as TokenResponse;
      expect(
        (
          await admin
            .write('post', '/api/v1/devices/move')
            .send({ deviceIds: [d2.deviceId], groupId: target.id })
            .expect(200)
        ).body,
      ).toEqual({ moved: 1 });
      expect(
        (
          await admin
            .write('post', '/api/v1/devices/move')
            .send({ deviceIds: [d2.deviceId, 'ghost'], groupId: target.id })
            .expect(404)
        ).body,
      ).toMatchObject({ field: 'deviceIds[1]' });
      const page = (await admin.agent.get(`/api/v1/devices?groupId=${target.id}`).expect(200))
        .body as DevicePage;
      expect(page.items.map((d) => d.id).sort()).toEqual([d1.deviceId, d2.deviceId].sort());
      await admin.agent.get('/api/v1/devices?limit=0').expect(400);

      let snap = await snapshot();
      expect(snap.moved).toContainEqual(
        expect.objectContaining({ deviceId: d2.deviceId, groupId: target.id }),
      );
      await admin.write('post', `/api/v1/devices/${d1.deviceId}/revoke`).expect(200);
      await admin.write('post', '/api/v1/devices/ghost/revoke').expect(404);
      snap = await snapshot();
      expect(snap.revoked.map((r) => r.deviceId)).toContain(d1.deviceId);

      // Token refresh: the current group; revoked devices and forged tokens are refused.
      const refreshed = (
        await http().post('/api/v1/proxy/token-refresh').set(proxyAuth).send({ token: d2.token }).expect(200)
      ).body as TokenResponse;
      expect(refreshed).toMatchObject({ deviceId: d2.deviceId, groupId: target.id });
      expect(
        (
          await http()
            .post('/api/v1/proxy/token-refresh')
            .set(proxyAuth)
            .send({ token: d1.token })
            .expect(403)
        ).body,
      ).toMatchObject({ error: 'device_revoked' });
      const forged = d2.token.slice(0, -4) + (d2.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect(
        (await http().post('/api/v1/proxy/token-refresh').set(proxyAuth).send({ token: forged }).expect(401))
          .body,
      ).toMatchObject({ error: 'invalid_token' });
      await http().post('/api/v1/proxy/token-refresh').send({ token: d2.token }).expect(401);
      expect((await admin.agent.get(`/api/v1/devices/${d2.deviceId}`).expect(200)).body).toMatchObject({
        lastSeenAt: expect.any(String),
      });
    });

    it('refreshes a token expired within the grace period, not one expired before it', async () => {
      const d = (
        await http()
          .post('/api/v1/enrol')
          .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'late' })
          .expect(201)
      ).body as TokenResponse;
      const key = await app
        .get(DataSource)
        .getRepository(SigningKey)
        .findOneByOrFail({ retiredAt: IsNull() });
      const now = Math.floor(Date.now() / 1000);
      const sign = (exp: number) =>
        signDeviceToken(importPrivateKey(key.privateKey), {
          kid: key.kid,
          sub: d.deviceId,
          grp: d.groupId,
          iat: exp - 86_400,
          exp,
        });
      await http()
        .post('/api/v1/proxy/token-refresh')
        .set(proxyAuth)
        .send({ token: sign(now - 3600) })
        .expect(200);
      expect(
        (
          await http()
            .post('/api/v1/proxy/token-refresh')
            .set(proxyAuth)
            .send({ token: sign(now - 8 * 86_400) })
            .expect(401)
        ).body,
      ).toMatchObject({ error: 'invalid_token' });
      expect(
        (
          await http()
            .post('/api/v1/proxy/token-refresh')
            .set(proxyAuth)
            .send({ token: 'ksn1.not-a-token' })
            .expect(401)
        ).body,
      ).toMatchObject({ error: 'invalid_token' });
    });

    it('rotates the signing key without locking out devices enrolled before', async () => {
      const before = (
        await http()
          .post('/api/v1/enrol')
          .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'old' })
          .expect(201)
      ).body as TokenResponse;
      const rotated = (await admin.write('post', '/api/v1/signing-keys/rotate').expect(201))
        .body as SigningKeyView;
      const keys = (await admin.agent.get('/api/v1/signing-keys').expect(200)).body as SigningKeyView[];
      expect(keys.filter((k) => k.active).map((k) => k.kid)).toEqual([rotated.kid]);
      const snap = await snapshot();
      const published = new Map(snap.keys.map((k) => [k.kid, importPublicKey(k.publicKey)]));
      expect(published.size).toBeGreaterThanOrEqual(2);
      expect(verifyDeviceToken(before.token, published, Math.floor(Date.now() / 1000))).toMatchObject({
        ok: true,
      });
      const renewed = (
        await http()
          .post('/api/v1/proxy/token-refresh')
          .set(proxyAuth)
          .send({ token: before.token })
          .expect(200)
      ).body as TokenResponse;
      expect(verifyDeviceToken(renewed.token, published, Math.floor(Date.now() / 1000))).toMatchObject({
        ok: true,
        claims: { kid: rotated.kid },
      });
    });
  });

  describe('overrides', () => {
    it('stores normalised keys with author, compiles them into the snapshot and skips expired ones', async () => {
      const o = (
        await admin
          .write('post', '/api/v1/overrides')
          .send({ hash: 'ABCDEF0123456789ABCDEF0123456789', action: 'block', comment: 'known bad' })
          .expect(201)
      ).body as OverrideView;
      expect(o).toMatchObject({
        key: 'md5:abcdef0123456789abcdef0123456789',
        action: 'block',
        author: 'admin',
        expiresAt: null,
      });
      const u = (
        await admin
          .write('post', '/api/v1/overrides')
          .send({
            url: 'HTTPS://Example.COM:443/a#frag',
            action: 'allow',
            comment: '',
            expiresAt: '2999-01-01T00:00:00Z',
          })
          .expect(201)
      ).body as OverrideView;
      expect(u.key).toBe('url:https://example.com/a');
      await admin
        .write('post', '/api/v1/overrides')
        .send({ hash: 'abcdef0123456789abcdef0123456789', action: 'allow', comment: 'dup' })
        .expect(409);
      expect(
        (await admin.write('post', '/api/v1/overrides').send({ action: 'allow', comment: '' }).expect(400))
          .body,
      ).toMatchObject({ field: 'hash' });
      expect(
        (
          await admin
            .write('post', '/api/v1/overrides')
            .send({ url: 'ftp://x/', action: 'allow', comment: '' })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'url' });
      expect(
        (
          await admin
            .write('post', '/api/v1/overrides')
            .send({ hash: 'xyz', action: 'allow', comment: '' })
            .expect(400)
        ).body,
      ).toMatchObject({ field: 'hash' });
      const snap = await snapshot();
      expect(snap.overrides).toEqual(
        expect.arrayContaining([
          { key: 'md5:abcdef0123456789abcdef0123456789', action: 'block' },
          { key: 'url:https://example.com/a', action: 'allow', expiresAt: '2999-01-01T00:00:00.000Z' },
        ]),
      );
      // An override whose expiry has passed (stored earlier) is left out of the snapshot.
      const dataSource = app.get(DataSource);
      await dataSource.transaction(async (tx) => {
        await tx.insert(OverrideEntity, {
          id: 'expired-1',
          keyHash: 'f'.repeat(64),
          objectKey: 'sha256:' + 'f'.repeat(64),
          action: 'block',
          comment: '',
          author: 'admin',
          createdAt: '2020-01-01T00:00:00.000Z',
          expiresAt: '2020-01-02T00:00:00.000Z',
        });
        await app.get(SnapshotService).bump(tx);
      });
      expect((await snapshot()).overrides.map((x) => x.key)).not.toContain('sha256:' + 'f'.repeat(64));
      expect(
        ((await admin.agent.get('/api/v1/overrides').expect(200)).body as OverrideView[]).map((x) => x.id),
      ).toContain('expired-1');
      await admin.write('delete', `/api/v1/overrides/${o.id}`).expect(204);
      await admin.write('delete', `/api/v1/overrides/${o.id}`).expect(404);
      expect((await snapshot()).overrides.map((x) => x.key)).not.toContain(o.key);
    });
  });
});
