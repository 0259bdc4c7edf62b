/**
 * The product as real processes (built apps: `npm run build` or `npx tsc -b apps/<x>/tsconfig.app.json`),
 * on free ports and a fresh data directory, for the soak tests: they kill, restart and
 * starve these processes, so each one can be stopped and started again on its own.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, untilReady, type Service } from '../stack';

export const PROXY_KEY = 'kp_soak-proxy-key-0123456789abcdef';
export const ENROLMENT_TOKEN = 'ke_soak-enrolment-token-0123456789';
export const ADMIN_PASSWORD = 'soak admin password';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Proc {
  service: Service;
  url: string;
  adminUrl?: string;
  logs: string[];
}

export async function start(
  name: 'cloud-emulator' | 'security-center' | 'ksn-proxy',
  env: Record<string, string>,
): Promise<Proc> {
  const logs: string[] = [];
  const service = startService(
    name,
    { LOG_LEVEL: 'warn', ...env },
    { onLine: (l) => logs.push(l), timeoutMs: 60_000 },
  );
  try {
    const ready = await service.ready;
    return {
      service,
      url: ready.url,
      ...(ready.adminUrl !== undefined && { adminUrl: ready.adminUrl }),
      logs,
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${logs.join('\n')}`);
  }
}

export interface SoakStack {
  dir: string;
  emulator: Proc;
  center: Proc;
  proxy: Proc;
  proxyEnv: Record<string, string>;
  /** A device token from a real enrolment. */
  token: string;
  restartProxy(extra?: Record<string, string>): Promise<Proc>;
  stop(): Promise<void>;
}

export async function startSoakStack(
  opts: {
    proxy?: Record<string, string>;
    emulator?: Record<string, string>;
    center?: Record<string, string>;
  } = {},
): Promise<SoakStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ksn-soak-'));
  const procs: Proc[] = [];
  try {
    const emulator = await start('cloud-emulator', {
      PORT: '0',
      HOST: '127.0.0.1',
      EMULATOR_URGENT_SHARE: '0',
      ...opts.emulator,
    });
    procs.push(emulator);
    const center = await start('security-center', {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'sc.sqlite')}`,
      ADMIN_PASSWORD,
      BOOTSTRAP_PROXY_API_KEY: PROXY_KEY,
      BOOTSTRAP_ENROLMENT_TOKEN: ENROLMENT_TOKEN,
      CONSOLE_DIR: '/nonexistent',
      ...opts.center,
    });
    procs.push(center);
    const proxyEnv = {
      PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      KSN_UPSTREAM_URL: emulator.url,
      SECURITY_CENTER_URL: center.url,
      PROXY_API_KEY: PROXY_KEY,
      DATA_DIR: join(dir, 'proxy'),
      HEARTBEAT_INTERVAL_MS: '1000',
      CHANGE_FEED_WAIT_SECONDS: '0',
      ...opts.proxy,
    };
    const proxy = await start('ksn-proxy', proxyEnv);
    procs.push(proxy);
    await untilReady(`${proxy.adminUrl!}/readyz`, 60_000); // its first policy snapshot
    const enrol = await fetch(`${center.url}/api/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrolmentToken: ENROLMENT_TOKEN, deviceName: 'soak-device' }),
    });
    if (enrol.status !== 201) throw new Error(`enrolment failed: ${enrol.status} ${await enrol.text()}`);
    const token = ((await enrol.json()) as { token: string }).token;
    const stack: SoakStack = {
      dir,
      emulator,
      center,
      proxy,
      proxyEnv,
      token,
      async restartProxy(extra = {}) {
        await stack.proxy.service.stop();
        stack.proxy = await start('ksn-proxy', { ...proxyEnv, ...extra });
        return stack.proxy;
      },
      async stop() {
        for (const p of [stack.proxy, stack.center, stack.emulator]) await p.service.stop(5000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (e) {
    for (const p of procs.reverse()) await p.service.stop(2000);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface Answer {
  status: number;
  body: string;
  /** Set when no HTTP answer came back. */
  error?: string;
  ms: number;
}

const noKeepAlive = new Agent({ keepAlive: false });

/** One request on its own connection (no keep-alive races): the status, or the socket error. */
export function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { connection: 'close', ...opts.headers },
        agent: noKeepAlive,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', (e) =>
          resolve({
            status: 0,
            body: '',
            error: (e as NodeJS.ErrnoException).code ?? e.message,
            ms: performance.now() - t0,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (e) =>
      resolve({
        status: 0,
        body: '',
        error: (e as NodeJS.ErrnoException).code ?? e.message,
        ms: performance.now() - t0,
      }),
    );
    req.end(opts.body);
  });
}

export function lookup(
  stack: SoakStack,
  items: unknown[],
  module = 'file-threat-protection',
): Promise<Answer> {
  return call(`${stack.proxy.url}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
    body: JSON.stringify({ module, items }),
  });
}

/** A resident-set figure of a proxy from its own metrics (prom-client's process metrics). */
export async function residentBytes(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const m = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
  if (!m) throw new Error('no process_resident_memory_bytes in /metrics');
  return Number(m[1]);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Figures for docs/reliability.md: printed, and appended to $SOAK_RESULTS (default tmp/soak-results.jsonl) when set. */
export function report(test: string, figures: Record<string, number | string>): void {
  process.stdout.write(`[soak] ${test}: ${JSON.stringify(figures)}\n`);
  const file = process.env['SOAK_RESULTS'];
  if (file) appendFileSync(file, JSON.stringify({ test, at: new Date().toISOString(), ...figures }) + '\n');
}
