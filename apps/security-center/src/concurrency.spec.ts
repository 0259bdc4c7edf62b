import type { INestApplication } from '@nestjs/common';
import type {
  CreatedApiToken,
  CreatedProxy,
  GroupPolicyView,
  GroupView,
  AuditPage,
  RuleHitView,
  Snapshot,
  UnknownObjectPage,
  UserView,
} from '@ksn/contracts';
import request from 'supertest';
import { heartbeatBody, loginAs, startTestApp, TEST_PROXY_KEY } from '../test/app';
import { describeEachEngine } from '../test/databases';

/**
 * Races between requests that several instances behind a load balancer may serve at once
 * (one MySQL): each is fired concurrently, a few rounds, and the outcome must be one of the
 * serial ones — never a 500, never a broken invariant.
 */
describeEachEngine('concurrent requests', (db) => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  let rootId: string;
  const http = () => request(app.getHttpServer());
  const statuses = (responses: { status: number }[]) => responses.map((r) => r.status).sort();

  /** Every parent exists and following parents from any group ends at the root. */
  async function expectValidTree(): Promise<GroupView[]> {
    const groups = (await admin.agent.get('/api/v1/groups').expect(200)).body as GroupView[];
    const byId = new Map(groups.map((g) => [g.id, g]));
    expect(groups.filter((g) => g.parentId === null).map((g) => g.id)).toEqual([rootId]);
    for (const g of groups) {
      const seen = new Set<string>();
      let at: GroupView | undefined = g;
      while (at && at.parentId !== null) {
        expect(seen.has(at.id)).toBe(false);
        seen.add(at.id);
        at = byId.get(at.parentId);
        expect(at).toBeDefined();
      }
    }
    return groups;
  }

  beforeAll(async () => {
    app = await startTestApp(db().url, {}, { jobs: false });
    admin = await loginAs(app);
    rootId = ((await admin.agent.get('/api/v1/groups').expect(200)).body as GroupView[])[0]!.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('group tree', () => {
    it('two crosswise moves at once: one wins, the other is refused, no cycle', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await admin.group(`A${round}`, rootId);
        const b = await admin.group(`B${round}`, rootId);
        const results = await Promise.all([
          admin.write('patch', `/api/v1/groups/${a.id}`).send({ version: a.version, parentId: b.id }),
          admin.write('patch', `/api/v1/groups/${b.id}`).send({ version: b.version, parentId: a.id }),
        ]);
        expect(statuses(results)).toEqual([200, 400]);
        await expectValidTree();
        await http()
          .get('/api/v1/proxy/snapshot')
          .set({ Authorization: `Bearer ${TEST_PROXY_KEY}` })
          .expect(200);
        await admin.agent.get(`/api/v1/groups/${a.id}/effective-policy`).expect(200);
        await admin.agent.get(`/api/v1/groups/${b.id}/effective-policy`).expect(200);
      }
    });

    it('deleting a group while a subgroup is created in it: one of the two serial outcomes, no orphan', async () => {
      for (let round = 0; round < 5; round++) {
        const g = await admin.group(`G${round}`, rootId);
        const [deleted, created] = await Promise.all([
          admin.write('delete', `/api/v1/groups/${g.id}`),
          admin.write('post', '/api/v1/groups').send({ name: `child${round}`, parentId: g.id }),
        ]);
        expect([
          [204, 404],
          [409, 201],
        ]).toContainEqual([deleted.status, created.status]);
        await expectValidTree();
      }
    });

    it('stores the id of the parent found, whatever letter case the request used', async () => {
      const upper = rootId.toUpperCase();
      const res = await admin.write('post', '/api/v1/groups').send({ name: 'case', parentId: upper });
      // SQLite compares ids exactly (404); MySQL's collation finds the root: the stored parent is its id.
      expect([201, 404]).toContain(res.status);
      if (res.status === 201) expect((res.body as GroupView).parentId).toBe(rootId);
      const a = await admin.group('case-a', rootId);
      const b = await admin.group('case-b', a.id);
      const move = await admin.write('patch', `/api/v1/groups/${a.id}`).send({
        version: a.version,
        parentId: b.id.toUpperCase(),
      });
      expect([400, 404]).toContain(move.status);
      const deleted = await admin.write('delete', `/api/v1/groups/${a.id.toUpperCase()}`);
      expect([404, 409]).toContain(deleted.status);
      await expectValidTree();
    });
  });

  describe('large values', () => {
    it('stores a policy over 64 KB (300 category rules with long comments) and its audit entry intact', async () => {
      const g = await admin.group('Large policy', rootId);
      const rules = Array.from({ length: 300 }, (_, i) => ({
        id: `big-rule-${i}`,
        action: i % 2 === 0 ? 'allow' : 'block',
        status: 'on',
        match: { kind: 'category', path: `Software/Category ${i}/Subcategory ${i}` },
        comment: `${i} `.padEnd(200, 'x'),
      }));
      const policy = { locked: [], appControl: { mode: 'default-allow', testMode: false, rules } };
      expect(JSON.stringify(policy).length).toBeGreaterThan(90_000);
      const put = (
        await admin.write('put', `/api/v1/groups/${g.id}/policy`).send({ version: 1, policy }).expect(200)
      ).body as GroupPolicyView;
      expect(put.policy.appControl!.rules).toEqual(rules);
      const stored = (await admin.agent.get(`/api/v1/groups/${g.id}/policy`).expect(200))
        .body as GroupPolicyView;
      expect(stored).toMatchObject({ version: 2, policy });
      await http()
        .get('/api/v1/proxy/snapshot')
        .set({ Authorization: `Bearer ${TEST_PROXY_KEY}` })
        .expect(200);
      const audit = (await admin.agent.get(`/api/v1/audit?objectId=${g.id}`).expect(200)).body as AuditPage;
      expect(JSON.stringify(audit)).toContain(rules[299]!.comment);
    });
  });

  describe('heartbeats', () => {
    it('12 beats at once from two proxies with the same rule hits and objects: all 204, counts add up', async () => {
      const other = (
        (await admin.write('post', '/api/v1/proxies').send({ name: 'second' }).expect(201))
          .body as CreatedProxy
      ).apiKey;
      const rules = Array.from({ length: 40 }, (_, i) => `race-rule-${String(i).padStart(2, '0')}`);
      const keys = Array.from({ length: 20 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
      const now = new Date();
      const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
      const beat = (key: string, n: number) =>
        http()
          .post('/api/v1/proxy/heartbeat')
          .set({ Authorization: `Bearer ${key}` })
          .send(
            heartbeatBody(
              { lookups: 1 },
              {
                instanceId: `race-${n}`,
                snapshotVersion: 1,
                cacheEntries: 0,
                // Different orders per beat: row locks are taken in whatever order the rows come.
                ruleHits: (n % 2 === 0 ? rules : [...rules].reverse()).map((ruleId) => ({
                  ruleId,
                  groupId: rootId,
                  hits: 1,
                })),
                unknownObjects: (n % 2 === 0 ? keys : [...keys].reverse()).map((k) => ({
                  key: k,
                  deviceIds: [`dev-${n}`],
                  firstSeen: now.toISOString(),
                  lastSeen: now.toISOString(),
                })),
                traffic: [
                  { minute, kind: 'lookup', requests: 1, items: 1, bytesSent: 10, bytesReceived: 20 },
                ],
              },
            ),
          );
      const rounds = 3;
      for (let round = 0; round < rounds; round++) {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, n) => beat(n % 2 === 0 ? TEST_PROXY_KEY : other, n)),
        );
        expect(results.map((r) => r.status)).toEqual(Array(12).fill(204));
      }
      const hits = (await admin.agent.get('/api/v1/rules/hits').expect(200)).body as RuleHitView[];
      expect(hits.filter((h) => h.ruleId.startsWith('race-rule-')).map((h) => [h.ruleId, h.hits])).toEqual(
        rules.map((r) => [r, 12 * rounds]),
      );
      const objects = (await admin.agent.get('/api/v1/unknown-objects?limit=100').expect(200))
        .body as UnknownObjectPage;
      expect(objects.items.filter((o) => keys.includes(o.key)).map((o) => o.devices)).toEqual(
        keys.map(() => 12),
      );
    });
  });

  describe('policies', () => {
    it('the same rule id sent to two groups at once: one takes it, the other gets 409', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await admin.group(`PA${round}`, rootId);
        const b = await admin.group(`PB${round}`, rootId);
        const id = `shared-rule-${round}`;
        const put = (g: GroupView) =>
          admin.write('put', `/api/v1/groups/${g.id}/policy`).send({
            version: g.version,
            policy: {
              appControl: {
                mode: 'default-allow',
                testMode: false,
                rules: [{ id, action: 'block', status: 'on', match: { kind: 'category', path: 'Games' } }],
              },
              locked: [],
            },
          });
        const results = await Promise.all([put(a), put(b)]);
        expect(statuses(results)).toEqual([200, 409]);
        const snapshot = (
          await http()
            .get('/api/v1/proxy/snapshot')
            .set({ Authorization: `Bearer ${TEST_PROXY_KEY}` })
            .expect(200)
        ).body as Snapshot;
        const owners = snapshot.groups.filter(
          (g) => [a.id, b.id].includes(g.id) && g.policy.appControl.rules.some((r) => r.id === id),
        );
        expect(owners).toHaveLength(1);
      }
    });
  });

  describe('users', () => {
    it('two admins demoted at once: one stays admin (409 for the other)', async () => {
      // An admin API token acts without being one of the admin users counted.
      const token = (
        (await admin.write('post', '/api/v1/api-tokens').send({ name: 'race', role: 'admin' }).expect(201))
          .body as CreatedApiToken
      ).token;
      const auth = { Authorization: `Bearer ${token}` };
      const users = (await http().get('/api/v1/users').set(auth).expect(200)).body as UserView[];
      const first = users.find((u) => u.username === 'admin')!;
      const second = (
        await http()
          .post('/api/v1/users')
          .set(auth)
          .send({ username: 'second-admin', password: 'a long enough password', role: 'admin' })
          .expect(201)
      ).body as UserView;
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          [first, second].map((u) =>
            http().patch(`/api/v1/users/${u.id}`).set(auth).send({ role: 'operator' }),
          ),
        );
        expect(statuses(results)).toEqual([200, 409]);
        const now = (await http().get('/api/v1/users').set(auth).expect(200)).body as UserView[];
        const admins = now.filter((u) => u.role === 'admin');
        expect(admins).toHaveLength(1);
        const demoted = [first, second].find((u) => u.id !== admins[0]!.id)!;
        await http().patch(`/api/v1/users/${demoted.id}`).set(auth).send({ role: 'admin' }).expect(200);
      }
    });
  });
});
