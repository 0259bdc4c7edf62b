import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** `http://host:port` of a listening server (IPv6 hosts bracketed). */
export function serverUrl(server: Server, protocol = 'http'): string {
  const addr = server.address() as AddressInfo;
  // A wildcard bind is reachable on loopback; say so rather than print an unusable 0.0.0.0.
  const address = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  const host = addr.family === 'IPv6' ? `[${address}]` : address;
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
