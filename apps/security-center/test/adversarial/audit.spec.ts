/**
 * The audit log: every change made through the API leaves an entry naming who, what
 * and when; refused changes leave none; no entry carries a secret (password, its
 * hash, an API key or token); and the log has no write route.
 * (Failed logins in the audit log: audit-failed-login.spec.ts.)
 */
import type { INestApplication } from '@nestjs/common';
import type { AuditPage, GroupView } from '@ksn/contracts';
import request from 'supertest';
import { loginAs, startTestApp } from '../app';
import { apiRoutes } from './routes';

jest.setTimeout(60_000);

describe('security-center adversarial: audit entries for every change', () => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const secrets: string[] = [];

  beforeAll(async () => {
    app = await startTestApp('sqlite::memory:');
    admin = await loginAs(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const audit = async () =>
    ((await admin.agent.get('/api/v1/audit?limit=1000').expect(200)).body as AuditPage).items;
  const write = (method: 'post' | 'patch' | 'put' | 'delete', path: string, body?: object) =>
    admin.agent[method](path).set('X-CSRF-Token', admin.csrf).send(body);

  it('records each change with actor, action, object and time, and nothing for refused ones', async () => {
    const groups = (await admin.agent.get('/api/v1/groups').expect(200)).body as
      { items?: GroupView[] } | GroupView[];
    const list = Array.isArray(groups) ? groups : (groups.items ?? []);
    const root = list.find((g) => g.parentId === null)!;
    expect(root).toBeDefined();

    const changes: { what: string; run: () => Promise<request.Response>; objectType?: string }[] = [
      {
        what: 'create group',
        run: () => write('post', '/api/v1/groups', { name: 'Audited', parentId: root.id }),
        objectType: 'group',
      },
      {
        what: 'create override',
        run: () =>
          write('post', '/api/v1/overrides', {
            hash: 'a'.repeat(64),
            action: 'block',
            comment: 'audit test',
          }),
      },
      {
        what: 'create user',
        run: () =>
          write('post', '/api/v1/users', {
            username: 'audited-op',
            password: 'operator password 1234',
            role: 'operator',
          }),
      },
      { what: 'create proxy', run: () => write('post', '/api/v1/proxies', { name: 'audited-proxy' }) },
      {
        what: 'create api token',
        run: () => write('post', '/api/v1/api-tokens', { name: 'audited-token', role: 'auditor' }),
      },
      {
        what: 'create enrolment token',
        run: () => write('post', '/api/v1/enrolment-tokens', { label: 'audited', groupId: root.id }),
      },
    ];
    for (const change of changes) {
      const before = (await audit()).length;
      const res = await change.run();
      if (res.status >= 300) throw new Error(`${change.what}: ${res.status} ${res.text}`);
      const body = res.body as Record<string, unknown>;
      for (const k of ['token', 'apiKey']) if (typeof body[k] === 'string') secrets.push(body[k]);
      const entries = await audit();
      expect(entries.length).toBeGreaterThan(before);
      const latest = entries[0]!;
      expect(latest).toMatchObject({
        actor: 'admin',
        action: expect.any(String) as string,
        objectType: expect.any(String) as string,
        objectId: expect.any(String) as string,
      });
      expect(Date.now() - Date.parse(latest.at)).toBeLessThan(60_000);
      if (change.objectType) expect(latest.objectType).toBe(change.objectType);
    }

    // A refused change (validation, CSRF) leaves no entry.
    const count = (await audit()).length;
    await write('post', '/api/v1/groups', { name: { $ne: 1 }, parentId: root.id }).expect(400);
    await admin.agent.post('/api/v1/groups').send({ name: 'no-csrf', parentId: root.id }).expect(403);
    expect((await audit()).length).toBe(count);
  });

  it('no audit entry carries a password, a password hash, an API key or a token', async () => {
    const text = JSON.stringify(await audit());
    expect(text).not.toContain('operator password 1234');
    expect(text).not.toMatch(/\$argon2id\$/);
    expect(text).not.toMatch(/"passwordHash"/);
    for (const s of secrets) expect(text).not.toContain(s);
  });

  it('the audit log has no write route (append-only through the API)', () => {
    const writes = apiRoutes(app).filter((r) => r.path.startsWith('/api/v1/audit') && r.method !== 'GET');
    expect(writes).toEqual([]);
  });

  it('anonymous callers cannot read the audit log', async () => {
    await request(app.getHttpServer()).get('/api/v1/audit').expect(401);
  });
});
