import { announceReady, configOrExit, onShutdown } from '@ksn/service-kit';
import { loadConfig } from './config';
import { startCloudEmulator } from './server';

async function main(): Promise<void> {
  const config = configOrExit('cloud-emulator', () => loadConfig(process.env));
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
