import type { INestApplication } from '@nestjs/common';
import type { AuditPage, CreatedApiToken, UserView } from '@ksn/contracts';
import request from 'supertest';
import { loginAs, startTestApp } from '../test/app';
import { describeEachEngine } from '../test/databases';

describeEachEngine('users, API tokens and audit', (db) => {
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp(db().url, {}, { jobs: false });
    admin = await loginAs(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('manages users with argon2id hashes; a new password ends the sessions; the last admin stays', async () => {
    const created = (
      await admin.agent
        .post('/api/v1/users')
        .set('X-CSRF-Token', admin.csrf)
        .send({ username: 'olga', password: 'a long enough password', role: 'operator' })
        .expect(201)
    ).body as UserView;
    expect(created).toMatchObject({ username: 'olga', role: 'operator' });
    expect(JSON.stringify(created)).not.toMatch(/argon2|password/i);
    expect(
      (
        await admin.agent
          .post('/api/v1/users')
          .set('X-CSRF-Token', admin.csrf)
          .send({ username: 'olga', password: 'a long enough password', role: 'operator' })
          .expect(409)
      ).body,
    ).toMatchObject({ field: 'username' });
    expect(
      (
        await admin.agent
          .post('/api/v1/users')
          .set('X-CSRF-Token', admin.csrf)
          .send({ username: 'x', password: 'short', role: 'operator' })
          .expect(400)
      ).body,
    ).toMatchObject({ field: 'password' });
    expect(
      (
        await admin.agent
          .post('/api/v1/users')
          .set('X-CSRF-Token', admin.csrf)
          .send({ username: 'x', password: 'a long enough password', role: 'root' })
          .expect(400)
      ).body,
    ).toMatchObject({ field: 'role' });

    const olga = await loginAs(app, 'olga', 'a long enough password');
    await olga.agent.get('/api/v1/auth/me').expect(200);
    await admin.agent
      .patch(`/api/v1/users/${created.id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ password: 'another long password' })
      .expect(200);
    await olga.agent.get('/api/v1/auth/me').expect(401);
    await loginAs(app, 'olga', 'another long password');

    const me = ((await admin.agent.get('/api/v1/users').expect(200)).body as UserView[]).find(
      (u) => u.username === 'admin',
    )!;
    expect(
      (
        await admin.agent
          .patch(`/api/v1/users/${me.id}`)
          .set('X-CSRF-Token', admin.csrf)
          .send({ role: 'auditor' })
          .expect(409)
      ).body,
    ).toMatchObject({ error: 'conflict' });
    await admin.agent.delete(`/api/v1/users/${me.id}`).set('X-CSRF-Token', admin.csrf).expect(409);
    await admin.agent.delete(`/api/v1/users/${created.id}`).set('X-CSRF-Token', admin.csrf).expect(204);
    await admin.agent.delete(`/api/v1/users/${created.id}`).set('X-CSRF-Token', admin.csrf).expect(404);
  });

  it('treats usernames the same whatever their letter case, on every engine', async () => {
    await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ username: 'Ingrid', password: 'a long enough password', role: 'auditor' })
      .expect(201);
    // One user: another spelling is taken, and logs in to the same account.
    expect(
      (
        await admin.agent
          .post('/api/v1/users')
          .set('X-CSRF-Token', admin.csrf)
          .send({ username: 'INGRID', password: 'another long password', role: 'admin' })
          .expect(409)
      ).body,
    ).toMatchObject({ error: 'conflict', field: 'username' });
    const login = await http()
      .post('/api/v1/auth/login')
      .send({ username: 'ingrid', password: 'a long enough password' })
      .expect(200);
    expect(login.body).toMatchObject({ username: 'Ingrid', role: 'auditor' });
  });

  it('locks an account after repeated failed logins', async () => {
    await admin.agent
      .post('/api/v1/users')
      .set('X-CSRF-Token', admin.csrf)
      .send({ username: 'victim', password: 'the right password', role: 'auditor' })
      .expect(201);
    for (let i = 0; i < 5; i++)
      await http().post('/api/v1/auth/login').send({ username: 'victim', password: 'wrong' }).expect(401);
    expect(
      (
        await http()
          .post('/api/v1/auth/login')
          .send({ username: 'victim', password: 'the right password' })
          .expect(429)
      ).body,
    ).toMatchObject({ error: 'rate_limited' });
  });

  it('API tokens authenticate automation with their role, without cookies or CSRF, until revoked or expired', async () => {
    const t = (
      await admin.agent
        .post('/api/v1/api-tokens')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: 'ci', role: 'operator' })
        .expect(201)
    ).body as CreatedApiToken;
    expect(t.token).toMatch(/^kt_/);
    const auth = { Authorization: `Bearer ${t.token}` };
    expect((await http().get('/api/v1/auth/me').set(auth).expect(200)).body).toMatchObject({
      username: 'token:ci',
      role: 'operator',
    });
    const root = ((await http().get('/api/v1/groups').set(auth).expect(200)).body as { id: string }[])[0]!;
    await http()
      .post('/api/v1/groups')
      .set(auth)
      .send({ name: 'by automation', parentId: root.id })
      .expect(201);
    await http().get('/api/v1/users').set(auth).expect(403);
    await http()
      .get('/api/v1/groups')
      .set({ Authorization: 'Bearer kt_unknown-token-000000000000' })
      .expect(401);
    expect(JSON.stringify((await admin.agent.get('/api/v1/api-tokens').expect(200)).body)).not.toContain(
      t.token,
    );
    await admin.agent.delete(`/api/v1/api-tokens/${t.id}`).set('X-CSRF-Token', admin.csrf).expect(204);
    await http().get('/api/v1/groups').set(auth).expect(401);
  });

  it('audits every change with who, when, before and after; filters by actor, object and time', async () => {
    const root = ((await admin.agent.get('/api/v1/groups').expect(200)).body as { id: string }[])[0]!;
    const since = new Date().toISOString();
    const g = (
      await admin.agent
        .post('/api/v1/groups')
        .set('X-CSRF-Token', admin.csrf)
        .send({ name: 'Audited', parentId: root.id })
        .expect(201)
    ).body as { id: string };
    await admin.agent
      .patch(`/api/v1/groups/${g.id}`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ version: 1, name: 'Audited 2' })
      .expect(200);
    const page = (await admin.agent.get(`/api/v1/audit?objectType=group&objectId=${g.id}`).expect(200))
      .body as AuditPage;
    expect(page.items.map((e) => e.action)).toEqual(['group.update', 'group.create']);
    expect(page.items[0]).toMatchObject({
      actor: 'admin',
      before: { name: 'Audited' },
      after: { name: 'Audited 2' },
    });
    const byAutomation = (await admin.agent.get('/api/v1/audit?actor=token:ci').expect(200))
      .body as AuditPage;
    expect(byAutomation.items.map((e) => e.action)).toEqual(['group.create']);
    const recent = (await admin.agent.get(`/api/v1/audit?from=${since}`).expect(200)).body as AuditPage;
    expect(recent.total).toBe(2);
    expect((await admin.agent.get('/api/v1/audit?from=yesterday').expect(400)).body).toMatchObject({
      field: 'from',
    });
    // Append-only through the API: no route writes to it.
    await admin.agent.delete('/api/v1/audit').set('X-CSRF-Token', admin.csrf).expect(404);
    await admin.agent.post('/api/v1/audit').set('X-CSRF-Token', admin.csrf).send({}).expect(404);
  });
});
