import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// tools/ is not an Nx project: the launcher (npm start) and this harness share its process starter.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startService, type Service } from '../../tools/stack';

export const PROXY_KEY = 'kp_e2e-proxy-key-0123456789abcdef';
export const ENROLMENT_TOKEN = 'ke_e2e-enrolment-token-0123456789';
export const ADMIN_PASSWORD = 'e2e admin password';

export interface Stack {
  emulatorUrl: string;
  centerUrl: string;
  proxyUrl: string;
  proxyAdminUrl: string;
  logs: string[];
  stop(): Promise<void>;
}

/** The whole product as real processes on free ports, on a fresh SQLite database. */
export async function startStack(env: { center?: Record<string, string>; proxy?: Record<string, string> } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'ksn-e2e-'));
  const logs: string[] = [];
  const services: Service[] = [];
  const keep = (name: string) => (line: string) => logs.push(`[${name}] ${line}`);
  const stop = async () => {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const emulator = startService('cloud-emulator', { PORT: '0', HOST: '127.0.0.1' }, { onLine: keep('cloud-emulator') });
    services.push(emulator);
    const up = await emulator.ready;
    const center = startService(
      'security-center',
      {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'sc.sqlite')}`,
        ADMIN_PASSWORD,
        BOOTSTRAP_PROXY_API_KEY: PROXY_KEY,
        BOOTSTRAP_ENROLMENT_TOKEN: ENROLMENT_TOKEN,
        // Category sync and the console's reputation lookup ask the same upstream as the proxy.
        KSN_UPSTREAM_URL: up.url,
        ...env.center,
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
        HEARTBEAT_INTERVAL_MS: '200',
        ...env.proxy,
      },
      { onLine: keep('ksn-proxy') },
    );
    services.push(proxy);
    const px = await proxy.ready;
    return { emulatorUrl: up.url, centerUrl: sc.url, proxyUrl: px.url, proxyAdminUrl: px.adminUrl!, logs, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${logs.join('\n')}`);
  }
}

export async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
