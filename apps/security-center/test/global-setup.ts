/**
 * Runs once before the security-center specs: probes MySQL/MariaDB at
 * MYSQL_TEST_URL and tells the workers through the environment whether the
 * MySQL variants of the database specs can run. With CI=true MySQL must be there.
 */
import { createConnection } from 'mysql2/promise';

export default async function globalSetup(): Promise<void> {
  const url = process.env['MYSQL_TEST_URL'] ?? 'mysql://root@127.0.0.1:3306/test';
  process.env['MYSQL_TEST_URL'] = url;
  try {
    const c = await createConnection({ uri: url, connectTimeout: 2000 });
    await c.end();
    process.env['KSN_TEST_MYSQL'] = 'available';
  } catch (e) {
    if (process.env['CI'] === 'true')
      throw new Error(`MySQL is required in CI but unreachable at ${url}: ${String(e)}`);
    process.env['KSN_TEST_MYSQL'] = 'unavailable';
    process.stderr.write(`\n[skipped] security-center MySQL/MariaDB specs: nothing reachable at ${url}\n`);
  }
}
