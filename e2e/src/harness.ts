// tools/ is not an Nx project: the launcher (npm start) and this harness share its process starter.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startStack as startProduct, type Stack } from '../../tools/stack';

export type { Stack };
export const PROXY_KEY = 'kp_e2e-proxy-key-0123456789abcdef';
export const ENROLMENT_TOKEN = 'ke_e2e-enrolment-token-0123456789';
export const ADMIN_PASSWORD = 'e2e admin password';

/** The whole product as real processes on free ports, on a fresh SQLite database. */
export function startStack(
  env: { center?: Record<string, string>; proxy?: Record<string, string> } = {},
): Promise<Stack> {
  return startProduct({
    proxyKey: PROXY_KEY,
    enrolmentToken: ENROLMENT_TOKEN,
    adminPassword: ADMIN_PASSWORD,
    center: env.center ?? {},
    proxy: { HEARTBEAT_INTERVAL_MS: '200', ...env.proxy },
  });
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
