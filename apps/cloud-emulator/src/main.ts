import { announceReady, configOrExit, onShutdown } from '@ksn/service-kit';
import { loadConfig, optionsFromConfig } from './config';
import { startCloudEmulator } from './server';

async function main(): Promise<void> {
  // A bad variable: its name and what is wrong on stderr, exit status 2.
  const config = configOrExit('cloud-emulator', () => loadConfig(process.env));
  const options = optionsFromConfig(config);
  const emulator = await startCloudEmulator(options);
  // The line launchers (tools/start.mjs, the e2e harness) wait for.
  announceReady('cloud-emulator', { url: emulator.url });
  onShutdown(
    () => emulator.close(),
    (msg) => options.logger?.info(msg),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`cloud-emulator failed to start: ${String(e)}\n`);
  process.exit(1);
});
