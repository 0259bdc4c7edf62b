/**
 * Nothing acknowledged is lost across a crash: the built proxy runs as a child
 * process, spools telemetry while the emulator is out, is killed with SIGKILL,
 * restarts on the same DATA_DIR and delivers what it had acknowledged, once
 * (the emulator's Idempotency-Key accounting shows duplicates).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startCloudEmulator, type RunningEmulator } from './emulator';
import { FakeSecurityCenter, PROXY_KEY } from './fakes';
import { tempDir, until } from './rig';

const ROOT = resolve(__dirname, '../../..');
const MAIN = join(ROOT, 'apps/ksn-proxy/dist/main.js');

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) resolvePromise({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code}: ${err.slice(0, 2000)}`)));
  });
}

async function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once('exit', r));
}

describe('ksn-proxy telemetry spool across a crash', () => {
  let sc: FakeSecurityCenter;
  let emu: RunningEmulator;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    // The built proxy is what runs in production: build it (incremental, quick when up to date).
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/ksn-proxy/tsconfig.app.json'],
      { cwd: ROOT, stdio: 'inherit' },
    );
  }, 180_000);
  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
    emu = await startCloudEmulator({ port: 0, defaultMetrics: false });
  });
  afterEach(async () => {
    if (child) {
      child.kill('SIGKILL');
      await waitExit(child);
    }
    await emu.close();
    await sc.close();
  });

  it('delivers spooled telemetry exactly once after SIGKILL and restart', async () => {
    const dataDir = tempDir();
    const env = {
      PORT: '0',
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      KSN_UPSTREAM_URL: emu.url,
      SECURITY_CENTER_URL: sc.url,
      PROXY_API_KEY: PROXY_KEY,
      DATA_DIR: dataDir,
      SPOOL_RETRY_MS: '200',
      LOG_LEVEL: 'error',
    };
    emu.setFaults({ outage: 'unavailable' });
    let started = await startChild(env);
    child = started.child;
    const token = sc.token();
    const send = (n: number) =>
      fetch(`${started.url}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ kind: 'statistics', records: [{ n }] }),
      });
    // Wait for the snapshot (503 until then), then submit three while the emulator is out.
    await until(async () => (await send(0)).status !== 503, 10_000);
    for (const n of [1, 2]) expect((await send(n)).status).toBe(202);
    const spoolDir = join(dataDir, 'spool');
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.json'))).toHaveLength(3);
    // Keep a copy of one record: it will stand for a crash between the upstream's ack and the delete.
    const first = readdirSync(spoolDir).sort()[0]!;
    const copy = join(dataDir, first);
    copyFileSync(join(spoolDir, first), copy);

    child.kill('SIGKILL');
    await waitExit(child);
    emu.setFaults({ outage: 'off' });
    started = await startChild(env);
    child = started.child;
    await until(() => emu.stats().telemetryRequests === 3, 10_000);
    await until(() => readdirSync(spoolDir).length === 0, 5000);
    expect(emu.stats().telemetryAccepted).toBe(3);

    // The crash window: the record is back on disk after the upstream took it. Redelivered, counted once.
    child.kill('SIGKILL');
    await waitExit(child);
    copyFileSync(copy, join(spoolDir, first));
    started = await startChild(env);
    child = started.child;
    await until(() => emu.stats().telemetryDuplicates === 1, 10_000);
    await until(() => !existsSync(join(spoolDir, first)), 5000);
    expect(emu.stats().telemetryRequests).toBe(3);
    expect(emu.stats().telemetryAccepted).toBe(3);
  }, 60_000);

  it('stops cleanly on SIGTERM: exit status 0, the spool stays on disk', async () => {
    const dataDir = tempDir();
    emu.setFaults({ outage: 'unavailable' });
    const started = await startChild({
      PORT: '0',
      ADMIN_PORT: '0',
      HOST: '127.0.0.1',
      KSN_UPSTREAM_URL: emu.url,
      SECURITY_CENTER_URL: sc.url,
      PROXY_API_KEY: PROXY_KEY,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
    });
    child = started.child;
    const token = sc.token();
    const send = () =>
      fetch(`${started.url}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ kind: 'statistics', records: [{ n: 1 }] }),
      });
    await until(async () => (await send()).status === 202, 10_000);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
  }, 30_000);
});
