import type { INestApplication } from '@nestjs/common';
import { createServer, connect, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { loginAs, startTestApp } from '../../test/app';
import { createTestDatabase, type TestDatabase } from '../../test/databases';

/** A TCP relay in front of MySQL that can be cut and restored, as a network outage would. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => this.server!.listen(this.port, '127.0.0.1', ok));
    this.port = (this.server.address() as { port: number }).port;
  }

  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => this.server?.close(() => ok()) ?? ok());
  }
}

const run = process.env['KSN_TEST_MYSQL'] === 'available' ? describe : describe.skip;

run('database outage [mysql]', () => {
  let db: TestDatabase;
  let relay: Relay;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    const url = new URL(db.url);
    relay = new Relay({ host: url.hostname, port: Number(url.port || 3306) });
    await relay.up();
    url.host = `127.0.0.1:${relay.port}`;
    app = await startTestApp(url.toString(), {}, { jobs: false });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await relay?.down();
    await db?.drop();
  });

  it('fails fast with 503 while the database is down and recovers by itself when it returns', async () => {
    const { agent } = await loginAs(app);
    await agent.get('/api/v1/groups').expect(200);
    await relay.down();

    const started = Date.now();
    expect((await agent.get('/api/v1/groups').expect(503)).body).toMatchObject({ error: 'unavailable' });
    await request(app.getHttpServer()).get('/readyz').expect(503);
    expect((await request(app.getHttpServer()).get('/metrics').expect(200)).text).toMatch(
      /^ksn_sc_database_up 0$/m,
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    await relay.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await agent.get('/api/v1/groups')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    await request(app.getHttpServer()).get('/readyz').expect(200);
    expect((await request(app.getHttpServer()).get('/metrics').expect(200)).text).toMatch(
      /^ksn_sc_database_up 1$/m,
    );
  }, 30_000);
});
