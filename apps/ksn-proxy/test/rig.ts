/** Starting proxies for specs: a real proxy on port 0 with its config from env-style overrides. */
import { createLogger } from '@ksn/service-kit';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { startProxy, type RunningProxy } from '../src/server';
import { startCloudEmulator, type EmulatorOptions, type RunningEmulator } from './emulator';
import { FakeSecurityCenter, PROXY_KEY } from './fakes';

export const EICAR = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
export const quiet = createLogger('ksn-proxy', { write: () => undefined });

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ksn-proxy-'));
}

export async function startTestProxy(
  sc: FakeSecurityCenter,
  upstreamUrl: string,
  env: Record<string, string> = {},
): Promise<RunningProxy> {
  const config = loadConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    KSN_UPSTREAM_URL: upstreamUrl,
    SECURITY_CENTER_URL: sc.url,
    PROXY_API_KEY: PROXY_KEY,
    DATA_DIR: tempDir(),
    HEARTBEAT_INTERVAL_MS: '100000',
    UPSTREAM_TIMEOUT_MS: '1000',
    ...env,
  });
  const proxy = await startProxy(config, quiet);
  await until(() => proxy.store.current !== undefined);
  return proxy;
}

export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function lookup(
  proxy: RunningProxy,
  token: string,
  items: unknown[],
  module = 'file-threat-protection',
): Promise<Response> {
  return fetch(`${proxy.endpointUrl}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ module, items }),
  });
}

export const file = (sha256: string) => ({ type: 'file', sha256 });

export async function metricValue(proxy: RunningProxy, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

/**
 * Per test: a FakeSecurityCenter, the cloud emulator and a device token; the proxy a test
 * starts (`rig.proxy = await startTestProxy(rig.sc, rig.emu.url, …)`) is closed after it.
 */
export function useRig(emulator: Partial<EmulatorOptions> = {}): Rig {
  const rig = { proxy: undefined } as Rig;
  beforeEach(async () => {
    rig.sc = await new FakeSecurityCenter().start();
    rig.emu = await startCloudEmulator({ port: 0, defaultMetrics: false, urgent: { share: 0 }, ...emulator });
    rig.token = rig.sc.token();
  });
  afterEach(async () => {
    await rig.proxy?.close();
    rig.proxy = undefined;
    await rig.emu.close();
    await rig.sc.close();
  });
  return rig;
}

export interface Rig {
  sc: FakeSecurityCenter;
  emu: RunningEmulator;
  token: string;
  proxy: RunningProxy | undefined;
}
