/**
 * The database engines specs run against: SQLite always; MySQL/MariaDB when
 * test/global-setup.ts found it reachable (always in CI). Each MySQL suite gets
 * a fresh database, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

export type Engine = 'sqlite' | 'mysql';

export interface TestDatabase {
  engine: Engine;
  url: string;
  drop(): Promise<void>;
}

function mysqlUrl(): string {
  return process.env['MYSQL_TEST_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') return { engine, url: 'sqlite::memory:', drop: async () => undefined };
  const name = `ksn_test_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: mysqlUrl() });
  const [rows] = await admin.query('SELECT VERSION() AS v');
  const isMaria = /mariadb/i.test((rows as { v: string }[])[0]!.v);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(mysqlUrl());
  url.pathname = `/${name}`;
  return {
    // The same server, addressed with the dialect TypeORM should use for it.
    engine,
    url: isMaria ? url.toString().replace(/^mysql:/, 'mariadb:') : url.toString(),
    async drop() {
      const c = await createConnection({ uri: mysqlUrl() });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** `describe` once per engine; the MySQL one is skipped (and counted as skipped) when MySQL is unavailable. */
export function describeEachEngine(title: string, body: (db: () => TestDatabase) => void): void {
  for (const engine of ['sqlite', 'mysql'] as const) {
    const run = engine === 'sqlite' || process.env['KSN_TEST_MYSQL'] === 'available';
    (run ? describe : describe.skip)(`${title} [${engine}]`, () => {
      let db: TestDatabase | undefined;
      beforeAll(async () => {
        db = await createTestDatabase(engine);
      });
      afterAll(async () => {
        await db?.drop();
      });
      body(() => {
        if (!db) throw new Error(`no ${engine} test database`);
        return db;
      });
    });
  }
}
