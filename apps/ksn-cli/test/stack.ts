import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// tools/ is not an Nx project: the launcher (npm start), the e2e harness and these tests share its process starter.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startService, type Service } from '../../../tools/stack';
import { run } from '../src/cli';
import type { Io } from '../src/io';

export const PROXY_KEY = 'kp_cli-test-proxy-key-0123456789abcdef';
export const ENROLMENT_TOKEN = 'ke_cli-test-enrolment-token-0123456789';

export interface Stack {
  dir: string;
  emulatorUrl: string;
  centerUrl: string;
  proxyUrl: string;
  proxyAdminUrl: string;
  logs: string[];
  stop(): Promise<void>;
}

/** The product as real processes (built apps) on free ports, on a fresh SQLite database. */
export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'ksn-cli-'));
  const logs: string[] = [];
  const services: Service[] = [];
  const keep = (name: string) => (line: string) => logs.push(`[${name}] ${line}`);
  const stop = async () => {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const emulator = startService(
      'cloud-emulator',
      { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      { onLine: keep('cloud-emulator') },
    );
    services.push(emulator);
    const up = await emulator.ready;
    const center = startService(
      'security-center',
      {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'sc.sqlite')}`,
        ADMIN_PASSWORD: 'cli test admin password',
        BOOTSTRAP_PROXY_API_KEY: PROXY_KEY,
        BOOTSTRAP_ENROLMENT_TOKEN: ENROLMENT_TOKEN,
        LOG_LEVEL: 'warn',
      },
      { onLine: keep('security-center') },
    );
    services.push(center);
    const sc = await center.ready;
    const proxy = startService(
      'ksn-proxy',
      {
        PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        KSN_UPSTREAM_URL: up.url,
        SECURITY_CENTER_URL: sc.url,
        PROXY_API_KEY: PROXY_KEY,
        DATA_DIR: join(dir, 'proxy'),
        LOG_LEVEL: 'warn',
      },
      { onLine: keep('ksn-proxy') },
    );
    services.push(proxy);
    const px = await proxy.ready;
    return {
      dir,
      emulatorUrl: up.url,
      centerUrl: sc.url,
      proxyUrl: px.url,
      proxyAdminUrl: px.adminUrl!,
      logs,
      stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${logs.join('\n')}`);
  }
}

export interface Ran {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the CLI in-process with a private HOME and environment. */
export async function ksn(
  argv: string[],
  env: Record<string, string | undefined>,
  opts: { home: string; cwd?: string; now?: () => number },
): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    cwd: opts.cwd ?? opts.home,
    home: opts.home,
    now: opts.now ?? (() => Date.now()),
  };
  const code = await run(argv, io);
  const o = out.join('\n');
  return { code, out: o, err: err.join('\n'), json: <T>() => JSON.parse(o) as T };
}
