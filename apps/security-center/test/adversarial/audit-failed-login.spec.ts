/**
 * Failed logins are in the audit log: AuthService records `auth.login_failed` (and
 * `auth.locked` when a lockout starts) with the username as given, never the password tried.
 */
import type { AuditPage } from '@ksn/contracts';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { loginAs, startTestApp } from '../app';

describe('security-center adversarial: failed logins are audited', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startTestApp('sqlite::memory:');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records a failed login (wrong password, unknown user) without the password tried', async () => {
    const http = request(app.getHttpServer());
    await http
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: 'wrong-password-audit' })
      .expect(401);
    await http
      .post('/api/v1/auth/login')
      .send({ username: 'nobody-here', password: 'wrong-password-audit' })
      .expect(401);
    const { agent } = await loginAs(app);
    const entries = ((await agent.get('/api/v1/audit?limit=1000').expect(200)).body as AuditPage).items;
    const failed = entries.filter((e) => /login/i.test(e.action) && /fail/i.test(e.action));
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(entries)).not.toContain('wrong-password-audit');
  });
});
