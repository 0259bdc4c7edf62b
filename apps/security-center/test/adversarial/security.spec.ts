/**
 * What a careful attacker tries on the console API: password guessing (lockout), CSRF
 * on cookie-authenticated writes (every write route, from the router), session cookie
 * flags, security headers on every kind of answer, and secrets in the logs (the
 * application's whole log output is captured and searched).
 */
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app';
import { AuthService } from '../../src/auth/auth.service';
import { loadConfig } from '../../src/config';
import { ADMIN_PASSWORD, loginAs, startTestApp, TEST_ENROLMENT_TOKEN, TEST_PROXY_KEY } from '../app';
import { apiRoutes, databaseDigest, fillPath } from './routes';

jest.setTimeout(60_000);

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

describe('security-center adversarial: login throttling and lockout', () => {
  let app: INestApplication;
  beforeAll(async () => {
    // The account lockout on its own here; the per-client throttle has its own block below.
    app = await startTestApp('sqlite::memory:', { LOGIN_FAILURES_PER_CLIENT: '1000' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('locks an account after 5 wrong passwords: even the right password is refused (429) while locked', async () => {
    const http = request(app.getHttpServer());
    for (let i = 0; i < 5; i++) {
      const res = await http.post('/api/v1/auth/login').send({ username: 'admin', password: `guess-${i}` });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized', message: 'wrong username or password' });
    }
    const locked = await http
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: 'rate_limited' });
    expect(String(locked.headers['set-cookie'] ?? '')).not.toMatch(/ksn_session=[^;]+/);
  });

  it('tries at most 5 passwords however many guesses arrive at once', async () => {
    const http = request(app.getHttpServer());
    await app.get(AuthService).createUser('burst', ADMIN_PASSWORD, 'auditor');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        http.post('/api/v1/auth/login').send({ username: 'burst', password: `guess-${i}` }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const locked = await http
      .post('/api/v1/auth/login')
      .send({ username: 'burst', password: ADMIN_PASSWORD });
    expect(locked.status).toBe(429);
  });

  it('answers an unknown user exactly like a wrong password (no user enumeration)', async () => {
    const http = request(app.getHttpServer());
    const unknown = await http.post('/api/v1/auth/login').send({ username: 'no-such-user', password: 'x' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ error: 'unauthorized', message: 'wrong username or password' });
  });

  it('refuses hostile login bodies with 400 (objects where strings belong, huge strings)', async () => {
    const http = request(app.getHttpServer());
    for (const body of [
      { username: { $ne: '' }, password: { $ne: '' } },
      { username: ['admin'], password: ADMIN_PASSWORD },
      { username: 'admin', password: 'x'.repeat(100_000) },
      { username: 'a'.repeat(100_000), password: 'x' },
    ]) {
      const res = await http.post('/api/v1/auth/login').send(body);
      expect([400, 413]).toContain(res.status);
      expect(res.body).toMatchObject({ error: expect.any(String) as string });
    }
  });
});

describe('security-center adversarial: per-client login throttle', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startTestApp('sqlite::memory:', { LOGIN_FAILURES_PER_CLIENT: '3' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses an address past its failed logins, whatever account it tries, without locking the account', async () => {
    const http = request(app.getHttpServer());
    // Spraying: one wrong password each for three accounts (known or not).
    for (const username of ['admin', 'no-such-user', 'someone-else']) {
      expect((await http.post('/api/v1/auth/login').send({ username, password: 'spray' })).status).toBe(401);
    }
    const refused = await http
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: 'rate_limited',
      message: 'too many failed logins from this address; try again later',
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(500);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(600);
    // The admin account itself saw one failure, not a lockout: its counter is not the address's.
    const admin = await app
      .get(DataSource)
      .query(`SELECT "failedLogins", "lockedUntil" FROM users WHERE username = 'admin'`);
    expect(admin).toEqual([{ failedLogins: 1, lockedUntil: null }]);
  });
});

describe('security-center adversarial: CSRF, cookies, headers', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startTestApp('sqlite::memory:');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('sets the session cookie HttpOnly, SameSite=Strict, Path=/, host-only, with an expiry', async () => {
    const res = await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(200);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith('ksn_session='))!;
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).toMatch(/; Expires=/i);
    expect(cookie).not.toMatch(/; Domain=/i);
    // The session token is long and random: at least 32 bytes of base64url.
    expect(/^ksn_session=([^;]+)/.exec(cookie)![1]!.length).toBeGreaterThanOrEqual(43);
  });

  it('marks the cookie Secure when COOKIE_SECURE=true', async () => {
    const secure = await startTestApp('sqlite::memory:', { COOKIE_SECURE: 'true' });
    try {
      const res = await request(secure.getHttpServer())
        .post('/api/v1/auth/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD })
        .expect(200);
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/i);
    } finally {
      await secure.close();
    }
  });

  it('refuses every cookie-authenticated write route without the right X-CSRF-Token, changing nothing', async () => {
    const { agent, csrf } = await loginAs(app);
    const ds = app.get(DataSource);
    const writes = apiRoutes(app).filter((r) => r.method !== 'GET');
    expect(writes.length).toBeGreaterThan(2);
    const problems: string[] = [];
    for (const route of writes) {
      const path = fillPath(route.path, '00000000-0000-4000-8000-000000000000');
      const anonymous = await request(app.getHttpServer())
        [route.method.toLowerCase() as 'post'](path)
        .send({});
      // Routes that do not use the session at all (login, enrolment, proxy API) have nothing to forge.
      if (anonymous.status !== 401 || /\/proxy\//.test(route.path)) continue;
      for (const header of [
        undefined,
        '',
        'x'.repeat(csrf.length),
        csrf.slice(0, -1),
        csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A'),
        csrf.toUpperCase() === csrf ? csrf.toLowerCase() : csrf.toUpperCase(),
      ]) {
        const before = (await databaseDigest(ds)).digest;
        let req = agent[route.method.toLowerCase() as 'post'](path).set('Origin', 'https://evil.example');
        if (header !== undefined) req = req.set('X-CSRF-Token', header);
        const res = await req.send({
          name: 'csrf',
          username: 'csrf',
          password: 'csrf-password-123456',
          role: 'admin',
        });
        if (res.status !== 403 || (res.body as { error?: string }).error !== 'csrf_failed')
          problems.push(
            `${route.method} ${route.path} with X-CSRF-Token=${JSON.stringify(header)} → ${res.status} ${res.text.slice(0, 120)}`,
          );
        if ((await databaseDigest(ds)).digest !== before)
          problems.push(`${route.method} ${route.path}: the database changed`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('sends the security headers on success, errors, 404s, the console fallback and /metrics', async () => {
    const http = request(app.getHttpServer());
    const answers = [
      await http.post('/api/v1/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD }),
      await http.get('/api/v1/auth/me'),
      await http.get('/api/v1/no-such-route'),
      await http.post('/api/v1/auth/login').set('content-type', 'application/json').send('{'),
      await http.get('/'),
      await http.get('/healthz'),
    ];
    for (const res of answers) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers[name]).toBe(value);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('an API answer that carries secrets is never cacheable', async () => {
    const res = await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(200);
    const cc = String(res.headers['cache-control'] ?? '');
    // No explicit cache-control means heuristically cacheable only with validators; a public directive would be a leak.
    expect(cc).not.toMatch(/public/i);
  });
});

describe('security-center adversarial: no secret in the logs', () => {
  const lines: string[] = [];
  class CapturingLogger extends ConsoleLogger {
    protected override printMessages(messages: unknown[], context?: string, logLevel?: string): void {
      lines.push(
        `[${logLevel ?? ''}] [${context ?? ''}] ${messages.map((m) => (m instanceof Error ? `${m.message}\n${m.stack ?? ''}` : typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`,
      );
    }
  }
  let app: INestApplication;
  const writes: { out: typeof process.stdout.write; err: typeof process.stderr.write } = {
    out: process.stdout.write,
    err: process.stderr.write,
  };

  beforeAll(async () => {
    // Everything the process prints while the app runs: Nest's logger and any direct writes.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (writes.out as (c: string | Uint8Array, ...r: unknown[]) => boolean).call(
        process.stdout,
        chunk,
        ...rest,
      );
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(String(chunk));
      return (writes.err as (c: string | Uint8Array, ...r: unknown[]) => boolean).call(
        process.stderr,
        chunk,
        ...rest,
      );
    }) as typeof process.stderr.write;
    const config = loadConfig({
      DATABASE_URL: 'sqlite::memory:',
      ADMIN_PASSWORD,
      BOOTSTRAP_PROXY_API_KEY: TEST_PROXY_KEY,
      BOOTSTRAP_ENROLMENT_TOKEN: TEST_ENROLMENT_TOKEN,
      CONSOLE_DIR: '/nonexistent',
      LOG_LEVEL: 'debug',
    });
    app = await createApp(
      config,
      new CapturingLogger('security-center', {
        logLevels: ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'],
      }),
    );
  });
  afterAll(async () => {
    await app?.close();
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  });

  it('logs no password, session, CSRF, enrolment, device or proxy secret through a day of use and abuse', async () => {
    const http = request(app.getHttpServer());
    const secrets = new Set<string>([
      ADMIN_PASSWORD,
      TEST_PROXY_KEY,
      TEST_ENROLMENT_TOKEN,
      'wrong-password-that-must-not-be-logged',
    ]);
    await http
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: 'wrong-password-that-must-not-be-logged' });
    const login = await http
      .post('/api/v1/auth/login')
      .send({ username: 'admin', password: ADMIN_PASSWORD })
      .expect(200);
    const session = /ksn_session=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
    secrets.add(decodeURIComponent(session));
    secrets.add((login.body as { csrfToken: string }).csrfToken);
    const enrol = await http
      .post('/api/v1/enrol')
      .send({ enrolmentToken: TEST_ENROLMENT_TOKEN, deviceName: 'logged-device' });
    if (enrol.status === 201) secrets.add((enrol.body as { token: string }).token);
    await http
      .post('/api/v1/enrol')
      .send({ enrolmentToken: 'ke_guessed-enrolment-token-000000', deviceName: 'x' });
    secrets.add('ke_guessed-enrolment-token-000000');
    await http.get('/api/v1/proxy/snapshot?wait=0').set('Authorization', `Bearer ${TEST_PROXY_KEY}`);
    await http
      .get('/api/v1/proxy/snapshot?wait=0')
      .set('Authorization', 'Bearer kp_guessed-proxy-key-0000000000000');
    secrets.add('kp_guessed-proxy-key-0000000000000');
    // A user created with a password, then a password change, where the API has them.
    const csrf = (login.body as { csrfToken: string }).csrfToken;
    const created = await http
      .post('/api/v1/users')
      .set('Cookie', `ksn_session=${session}`)
      .set('X-CSRF-Token', csrf)
      .send({ username: 'op1', password: 'operator password 12345', role: 'operator' });
    if (created.status < 300) secrets.add('operator password 12345');
    // Malformed requests carrying secrets in odd places.
    await http
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send(`{"username":"admin","password":"${'half-json-secret'}`);
    secrets.add('half-json-secret');
    await http.get('/api/v1/auth/me').set('Cookie', 'ksn_session=stolen-cookie-value-000000000000000');
    secrets.add('stolen-cookie-value-000000000000000');

    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
