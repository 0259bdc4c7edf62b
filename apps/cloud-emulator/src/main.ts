import { announceReady, ConfigError, onShutdown } from '@ksn/service-kit';
import { loadConfig } from './config';
import { startCloudEmulator } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`cloud-emulator: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const emulator = await startCloudEmulator({
    port: config.PORT,
    host: config.HOST,
    seed: config.EMULATOR_SEED,
    latencyMs: config.EMULATOR_LATENCY_MS,
    ...(config.EMULATOR_API_KEY && { apiKey: config.EMULATOR_API_KEY }),
  });
  announceReady('cloud-emulator', { url: emulator.url });
  onShutdown(() => emulator.close());
}

main().catch((e: unknown) => {
  process.stderr.write(`cloud-emulator failed to start: ${String(e)}\n`);
  process.exit(1);
});
