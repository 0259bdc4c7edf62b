/**
 * PENDING (not matched by jest: *.pending.ts): failed logins are not in the audit log yet.
 * The issue asks for "audit entries for every change and for failed logins". AuthService.login
 * (apps/security-center/src/auth/auth.service.ts) throws 401 without recording anything.
 * Minimal fix: inject AuditService and, on a wrong password or unknown user, record
 * `{actor: <username as given, truncated>, action: 'auth.login_failed', objectType: 'user',
 * objectId: <user id or '-'>}` (and 'auth.locked' when the lockout starts), in the same
 * transaction as the failedLogins update. Rename to audit-failed-login.spec.ts once it lands.
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
    await http.post('/api/v1/auth/login').send({ username: 'admin', password: 'wrong-password-audit' }).expect(401);
    await http.post('/api/v1/auth/login').send({ username: 'nobody-here', password: 'wrong-password-audit' }).expect(401);
    const { agent } = await loginAs(app);
    const entries = ((await agent.get('/api/v1/audit?limit=1000').expect(200)).body as AuditPage).items;
    const failed = entries.filter((e) => /login/i.test(e.action) && /fail/i.test(e.action));
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(entries)).not.toContain('wrong-password-audit');
  });
});
