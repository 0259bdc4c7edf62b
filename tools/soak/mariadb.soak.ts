/**
 * MariaDB stopped (SIGKILL) and restarted under load, behind a real security-center:
 * fast 503s while it is away, no process exit, full recovery without a restart of
 * security-center, and no half-written change (every acknowledged change is there,
 * every group has its audit entry and every group.create entry its group).
 *
 * Uses its OWN throwaway mariadbd (temp datadir, free port): the shared server on
 * 127.0.0.1:3306 is never touched. Skipped (and said so) when mariadbd is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, freePort, percentile, report, sleep, start, type Answer, type Proc } from './stack';

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((p) => existsSync(p));
const INSTALL = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((p) => existsSync(p));
const CLIENT = ['/usr/bin/mariadb', '/usr/bin/mysql'].find((p) => existsSync(p));

class ThrowawayMariaDb {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'ksn-soak-mariadb-'));
  port = 0;

  async install(): Promise<void> {
    const r = spawnSync(
      INSTALL!,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--user=root',
        '--skip-test-db',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`mariadb-install-db failed: ${r.stdout}\n${r.stderr}`);
    this.port = await freePort();
  }

  async start(): Promise<void> {
    this.child = spawn(
      MARIADBD!,
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--socket=${join(this.dir, 's.sock')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        `--pid-file=${join(this.dir, 'pid')}`,
      ],
      { stdio: 'ignore' },
    );
    const end = Date.now() + 30_000;
    for (;;) {
      const r = spawnSync(
        CLIENT!,
        [
          '--no-defaults',
          '-h127.0.0.1',
          `-P${this.port}`,
          '-uroot',
          '-e',
          'CREATE DATABASE IF NOT EXISTS ksn',
        ],
        { encoding: 'utf8' },
      );
      if (r.status === 0) return;
      if (Date.now() > end) throw new Error(`mariadbd did not come up: ${r.stderr}`);
      await sleep(200);
    }
  }

  /** Abrupt stop: what a crash or an OOM kill looks like to security-center. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

(MARIADBD && INSTALL && CLIENT ? describe : describe.skip)(
  'soak: MariaDB stopped and restarted under load',
  () => {
    const db = new ThrowawayMariaDb();
    let center: Proc | undefined;
    afterAll(async () => {
      await center?.service.stop(5000);
      await db.destroy();
    });

    it('fast 503s while the database is away, no exit, full recovery, no half-written change', async () => {
      await db.install();
      await db.start();
      center = await start('security-center', {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `mariadb://root@127.0.0.1:${db.port}/ksn`,
        ADMIN_PASSWORD,
        CONSOLE_DIR: '/nonexistent',
      });
      const base = center.url;
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      expect(login.status).toBe(200);
      const cookie = /ksn_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
      const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
      const headers = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
      const groups = async () => {
        const body = (await (await fetch(`${base}/api/v1/groups?limit=1000`, { headers })).json()) as
          | { items?: { id: string; name: string; parentId: string | null }[] }
          | { id: string; name: string; parentId: string | null }[];
        return Array.isArray(body) ? body : (body.items ?? []);
      };
      const root = (await groups()).find((g) => g.parentId === null)!;

      type Sample = Answer & { at: number; name?: string };
      const samples: Sample[] = [];
      let running = true;
      let seq = 0;
      const t0 = performance.now();
      const timed = async (fn: () => Promise<Response>, name?: string): Promise<void> => {
        const s = performance.now();
        let a: Answer;
        try {
          const res = await fn();
          a = { status: res.status, body: await res.text(), ms: performance.now() - s };
        } catch (e) {
          a = { status: 0, body: '', error: (e as Error).message, ms: performance.now() - s };
        }
        samples.push({ ...a, at: s - t0, ...(name !== undefined && { name }) });
      };
      const writer = async () => {
        while (running) {
          const name = `soak-${seq++}`;
          await timed(
            () =>
              fetch(`${base}/api/v1/groups`, {
                method: 'POST',
                headers,
                body: JSON.stringify({ name, parentId: root.id }),
                signal: AbortSignal.timeout(30_000),
              }),
            name,
          );
          await sleep(20);
        }
      };
      const reader = async () => {
        while (running) {
          await timed(() => fetch(`${base}/api/v1/groups`, { headers, signal: AbortSignal.timeout(30_000) }));
          await sleep(20);
        }
      };
      const load = [writer(), writer(), reader(), reader()];

      await sleep(3000);
      const killedAt = performance.now() - t0;
      await db.kill();
      await sleep(5000);
      const restartedAt = performance.now() - t0;
      await db.start();
      // Recovery: the first successful read after the restart.
      let recoveredAt = Infinity;
      while (performance.now() - t0 < restartedAt + 60_000) {
        const ok = samples.find((s) => s.at > restartedAt && s.status === 200);
        if (ok) {
          recoveredAt = ok.at + ok.ms;
          break;
        }
        await sleep(100);
      }
      await sleep(2000);
      running = false;
      await Promise.all(load);
      expect(center.service.child.exitCode).toBeNull();

      const down = samples.filter((s) => s.at > killedAt + 200 && s.at + s.ms < restartedAt);
      const errorsDown = down.filter((s) => s.status !== 200 && s.status !== 201);
      const statusesDown: Record<string, number> = {};
      for (const s of down)
        statusesDown[String(s.status || s.error)] = (statusesDown[String(s.status || s.error)] ?? 0) + 1;
      const after = samples.filter((s) => s.at > recoveredAt + 500);
      report('mariadb-restart', {
        requests: samples.length,
        whileDown: down.length,
        statusesWhileDown: JSON.stringify(statusesDown),
        p50MsWhileDownMs: Math.round(
          percentile(
            errorsDown.map((s) => s.ms),
            50,
          ),
        ),
        p99MsWhileDownMs: Math.round(
          percentile(
            errorsDown.map((s) => s.ms),
            99,
          ),
        ),
        recoveryAfterRestartMs: Math.round(recoveredAt - restartedAt),
        failuresAfterRecovery: after.filter((s) => s.status >= 400 || s.status === 0).length,
      });

      // While the database is away: clear 503s, quickly, never a 500 or a hang.
      expect(down.length).toBeGreaterThan(10);
      for (const s of errorsDown)
        expect({ status: s.status, body: s.status === 503 ? 'unavailable' : s.body.slice(0, 200) }).toEqual({
          status: 503,
          body: 'unavailable',
        });
      expect(
        percentile(
          errorsDown.map((s) => s.ms),
          99,
        ),
      ).toBeLessThan(3000);
      // Full recovery, without restarting security-center, and the same session still works.
      expect(recoveredAt).toBeLessThan(Infinity);
      expect(after.filter((s) => s.status >= 400 || s.status === 0)).toEqual([]);

      // No half-written change.
      const finalGroups = await groups();
      const names = new Set(finalGroups.map((g) => g.name));
      const acknowledged = samples
        .filter((s) => s.name !== undefined && s.status === 201)
        .map((s) => s.name!);
      for (const n of acknowledged) expect(names.has(n)).toBe(true);
      const auditRes = await fetch(`${base}/api/v1/audit?objectType=group&limit=1000`, { headers });
      expect(auditRes.status).toBe(200);
      const audit = ((await auditRes.json()) as { items: { action: string; objectId: string }[] }).items;
      const created = new Set(audit.filter((e) => /create/.test(e.action)).map((e) => e.objectId));
      const soakGroups = finalGroups.filter((g) => g.name.startsWith('soak-'));
      for (const g of soakGroups) expect(created.has(g.id)).toBe(true);
      for (const id of created) expect(finalGroups.some((g) => g.id === id)).toBe(true);
      // A refused write never half-happened: at most the one in flight at the kill may have committed without its answer.
      const refusedButPresent = samples.filter(
        (s) => s.name !== undefined && s.status !== 201 && names.has(s.name),
      );
      expect(refusedButPresent.length).toBeLessThanOrEqual(2);
    });
  },
);
