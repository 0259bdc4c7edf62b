import { announceReady, configOrExit, createLogger, onShutdown } from '@ksn/service-kit';
import { loadConfig } from './config';
import { startProxy } from './server';

async function main(): Promise<void> {
  const config = configOrExit('ksn-proxy', () => loadConfig(process.env));
  const log = createLogger('ksn-proxy', { level: config.LOG_LEVEL as 'info' });
  const proxy = await startProxy(config, log);
  announceReady('ksn-proxy', { url: proxy.endpointUrl, adminUrl: proxy.adminUrl });
  onShutdown(
    () => proxy.close(),
    (msg) => log.info(msg),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(
    `ksn-proxy failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
