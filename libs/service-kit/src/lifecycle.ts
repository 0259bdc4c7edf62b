import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** `http://host:port` of a listening server (IPv6 hosts bracketed). */
export function serverUrl(server: Server, protocol = 'http'): string {
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${protocol}://${host}:${addr.port}`;
}

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The line a launcher (tools/start.mjs, the e2e harness) waits for: one JSON
 * object on stdout with `event: "ready"`, the service and its URLs.
 */
export function announceReady(service: string, urls: Record<string, string>): void {
  process.stdout.write(JSON.stringify({ event: 'ready', service, ...urls }) + '\n');
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>, log: (msg: string) => void = () => undefined): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal} received, shutting down`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
