import type { INestApplication } from '@nestjs/common';
import type { CategoriesView, FileDetails } from '@ksn/contracts';
import { listen, serverUrl } from '@ksn/service-kit';
import { createServer } from 'node:http';
import { DataSource } from 'typeorm';
import { loginAs, startTestApp } from '../test/app';
import { describeEachEngine } from '../test/databases';
import { startEmulator, type Emulator } from '../test/emulator';
import { CategoriesService } from './categories/categories.service';
import { CONFIG, type Config } from './config';
import { LeaseService } from './jobs/lease.service';
import { JobsService } from './jobs/jobs.service';
import { TrafficHour } from './proxies/traffic-hour.entity';
import { TrafficMinute } from './proxies/traffic-minute.entity';

const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

describeEachEngine('upstream, leases and jobs', (db) => {
  let emulator: Emulator;
  let app: INestApplication;
  let admin: Awaited<ReturnType<typeof loginAs>>;

  beforeAll(async () => {
    emulator = await startEmulator();
    app = await startTestApp(db().url, { KSN_UPSTREAM_URL: emulator.url }, { jobs: false });
    admin = await loginAs(app);
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
  });

  it('syncs the category tree from the upstream on demand and stores it', async () => {
    expect((await admin.agent.get('/api/v1/categories').expect(200)).body).toEqual({
      categories: [],
      syncedAt: null,
    });
    const synced = (
      await admin.agent.post('/api/v1/categories/sync').set('X-CSRF-Token', admin.csrf).expect(200)
    ).body as CategoriesView;
    expect(synced.categories.length).toBeGreaterThan(0);
    expect(JSON.stringify(synced.categories)).toContain('Golden Image');
    expect((await admin.agent.get('/api/v1/categories').expect(200)).body).toEqual(synced);
  });

  it('looks up reputation details through the upstream', async () => {
    const details = (await admin.agent.get(`/api/v1/reputation/${EICAR_SHA256.toUpperCase()}`).expect(200))
      .body as FileDetails;
    expect(details).toMatchObject({ verdict: 'malicious' });
    expect((await admin.agent.get('/api/v1/reputation/not-a-hash').expect(400)).body).toMatchObject({
      field: 'hash',
    });
  });

  it('answers 502 upstream_error when the upstream is unreachable', async () => {
    const down = await startTestApp(
      db().url,
      { KSN_UPSTREAM_URL: 'http://127.0.0.1:9', UPSTREAM_TIMEOUT_MS: '500' },
      { jobs: false },
    );
    try {
      const a = await loginAs(down);
      expect(
        (await a.agent.post('/api/v1/categories/sync').set('X-CSRF-Token', a.csrf).expect(502)).body,
      ).toMatchObject({ error: 'upstream_error' });
      expect((await a.agent.get(`/api/v1/reputation/${EICAR_SHA256}`).expect(502)).body).toMatchObject({
        error: 'upstream_error',
      });
    } finally {
      await down.close();
    }
  });

  it('stops reading an endless upstream answer at the bound: 502, not a wait for the timeout', async () => {
    let hungUp!: () => void;
    const closed = new Promise<void>((r) => (hungUp = r));
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"categories":[');
      const chunk = Buffer.from('{"id":"x","name":"x","parentId":null},'.repeat(1000));
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', hungUp);
      pump();
    });
    await listen(endless, 0, '127.0.0.1');
    // The timeout is far away: only the bound can end this read.
    const bounded = await startTestApp(
      db().url,
      { KSN_UPSTREAM_URL: serverUrl(endless), UPSTREAM_TIMEOUT_MS: '120000' },
      { jobs: false },
    );
    try {
      const a = await loginAs(bounded);
      expect(
        (await a.agent.post('/api/v1/categories/sync').set('X-CSRF-Token', a.csrf).expect(502)).body,
      ).toMatchObject({ error: 'upstream_error', message: expect.stringContaining('more than') as string });
      await closed;
    } finally {
      await bounded.close();
      endless.closeAllConnections();
      await new Promise((r) => endless.close(r));
    }
  });

  it('stores a category tree larger than 64 KB intact', async () => {
    // 1,500 categories with long paths: about 200 KB of JSON (TEXT on MySQL holds 64 KB).
    const tree = Array.from({ length: 30 }, (_, i) => {
      const name = `Category ${i} ${'x'.repeat(60)}`;
      return {
        name,
        path: name,
        children: Array.from({ length: 50 }, (_, j) => ({
          name: `Sub ${j}`,
          path: `${name}/Sub ${j} ${'y'.repeat(40)}`,
          children: [],
        })),
      };
    });
    const big = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ categories: tree })),
    );
    await listen(big, 0, '127.0.0.1');
    const withBig = await startTestApp(db().url, { KSN_UPSTREAM_URL: serverUrl(big) }, { jobs: false });
    try {
      const a = await loginAs(withBig);
      await a.agent.post('/api/v1/categories/sync').set('X-CSRF-Token', a.csrf).expect(200);
      const stored = (await a.agent.get('/api/v1/categories').expect(200)).body as CategoriesView;
      expect(JSON.stringify(stored.categories).length).toBeGreaterThan(65_536);
      expect(stored.categories).toEqual(tree);
    } finally {
      await withBig.close();
      big.closeAllConnections();
      await new Promise((r) => big.close(r));
    }
  });

  it('grants a job lease to one instance at a time, and to another once it expires', async () => {
    const ds = app.get(DataSource);
    const a = new LeaseService(ds);
    const b = new LeaseService(ds);
    const t = Date.now();
    expect(await a.acquire('test-job', 60_000, t)).toBe(true);
    expect(await b.acquire('test-job', 60_000, t)).toBe(false);
    expect(await a.acquire('test-job', 60_000, t + 1000)).toBe(true); // renewal
    expect(await b.acquire('test-job', 60_000, t + 61_001)).toBe(true); // a's lease ran out
    expect(await a.acquire('test-job', 60_000, t + 61_002)).toBe(false);
  });

  it('rolls per-minute traffic older than the retention up into hours, counting nothing twice', async () => {
    const ds = app.get(DataSource);
    const old = (m: number) => new Date(Date.UTC(2020, 0, 1, 10, m)).toISOString();
    await ds.getRepository(TrafficMinute).insert([
      { proxyId: 'p-old', minute: old(1), lookups: 5, bytesSaved: 100 },
      { proxyId: 'p-old', minute: old(59), lookups: 7, bytesSaved: 1 },
    ]);
    const jobs = new JobsService(
      ds,
      new LeaseService(ds),
      app.get(CategoriesService),
      app.get<Config>(CONFIG),
    );
    await jobs.maintenance();
    await ds.getRepository(TrafficMinute).insert({ proxyId: 'p-old', minute: old(30), lookups: 1 });
    await jobs.maintenance();
    expect(await ds.getRepository(TrafficMinute).countBy({ proxyId: 'p-old' })).toBe(0);
    expect(await ds.getRepository(TrafficHour).findBy({ proxyId: 'p-old' })).toEqual([
      expect.objectContaining({ hour: '2020-01-01T10:00:00.000Z', lookups: 13, bytesSaved: 101 }),
    ]);
  });
});
