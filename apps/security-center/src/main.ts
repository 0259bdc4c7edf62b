import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { announceReady, configOrExit } from '@ksn/service-kit';
import type { Server } from 'node:http';
import { createApp } from './app';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = configOrExit('security-center', () => loadConfig(process.env));
  const logger = new ConsoleLogger({ json: true, logLevels: levelsFrom(config.LOG_LEVEL) });
  const app = await createApp(config, logger);
  await app.listen(config.PORT, config.HOST);
  const server = app.getHttpServer() as Server;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  announceReady('security-center', { url: `http://${host}:${port}` });
}

function levelsFrom(level: string): ('log' | 'error' | 'warn' | 'debug')[] {
  const all = ['debug', 'log', 'warn', 'error'] as const;
  const start = { debug: 0, info: 1, warn: 2, error: 3 }[level] ?? 1;
  return all.slice(start) as ('log' | 'error' | 'warn' | 'debug')[];
}

main().catch((e: unknown) => {
  process.stderr.write(
    `security-center failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
