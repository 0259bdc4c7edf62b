/** Real servers on port 0 standing in for security-center and the upstream cloud in proxy specs. */
import { DEFAULT_SETTINGS } from '@ksn/policy-engine';
import type { PolicySettings, Snapshot, UpstreamVerdict } from '@ksn/contracts';
import {
  generateSigningKey,
  importPrivateKey,
  importPublicKey,
  signDeviceToken,
  verifyDeviceToken,
} from '@ksn/device-auth';
import { listen, serverUrl } from '@ksn/service-kit';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const PROXY_KEY = 'kp_proxy-spec-key-0123456789abcdef';

/** Answers 200 with `head` and then `chunk` after `chunk`, as fast as the peer reads, until it hangs up. */
export function streamForever(res: ServerResponse, head: string, chunk: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(head);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

export class FakeSecurityCenter {
  readonly key = generateSigningKey('kid-1');
  snapshot: Snapshot;
  heartbeats: unknown[] = [];
  snapshotRequests = 0;
  tokenRefreshes: unknown[] = [];
  down = false;
  /** Answers instead of the routes below when it returns true (a misbehaving security-center). */
  intercept: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  server: Server;
  url = '';

  constructor(policy: PolicySettings = DEFAULT_SETTINGS) {
    this.snapshot = {
      version: 1,
      generatedAt: new Date().toISOString(),
      keys: [{ kid: this.key.kid, publicKey: this.key.publicKey }],
      groups: [{ id: 'g1', name: 'Root', parentId: null, policy }],
      revoked: [],
      moved: [],
      overrides: [],
    };
    this.server = createServer((req, res) => {
      if (this.down || req.headers.authorization !== `Bearer ${PROXY_KEY}`) {
        res.writeHead(this.down ? 503 : 401).end();
        return;
      }
      if (this.intercept?.(req, res)) return;
      if (req.url?.startsWith('/api/v1/proxy/snapshot')) {
        this.snapshotRequests++;
        const etag = `"v${this.snapshot.version}"`;
        if (req.headers['if-none-match'] === etag) {
          // No long-poll here: answer 304 after a short pause.
          setTimeout(() => res.writeHead(304, { etag }).end(), 50);
          return;
        }
        res.writeHead(200, { etag, 'content-type': 'application/json' }).end(JSON.stringify(this.snapshot));
      } else if (req.url === '/api/v1/proxy/heartbeat') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          this.heartbeats.push(JSON.parse(body));
          res.writeHead(204).end();
        });
      } else if (req.url === '/api/v1/proxy/token-refresh' && req.method === 'POST') {
        // What security-center's route does: renew a token it signed, refuse a revoked device.
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const { token } = JSON.parse(body) as { token: string };
          this.tokenRefreshes.push({ token });
          const result = verifyDeviceToken(
            token,
            new Map([[this.key.kid, importPublicKey(this.key.publicKey)]]),
            Math.floor(Date.now() / 1000),
          );
          const json = (status: number, b: unknown) =>
            res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(b));
          if (!result.ok)
            return void json(401, {
              error: 'invalid_token',
              message: 'not a token this security-center issued',
            });
          if (this.snapshot.revoked.some((r) => r.deviceId === result.claims.sub))
            return void json(403, { error: 'device_revoked', message: 'revoked' });
          const renewed = this.token(result.claims.sub, result.claims.grp);
          json(200, {
            token: renewed,
            deviceId: result.claims.sub,
            groupId: result.claims.grp,
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          });
        });
      } else res.writeHead(404).end();
    });
  }

  async start(): Promise<this> {
    await listen(this.server, 0, '127.0.0.1');
    this.url = serverUrl(this.server);
    return this;
  }

  publish(change: (s: Snapshot) => void): void {
    change(this.snapshot);
    this.snapshot = {
      ...this.snapshot,
      version: this.snapshot.version + 1,
      generatedAt: new Date().toISOString(),
    };
  }

  token(deviceId = 'dev-1', groupId = 'g1', ttlSeconds = 3600): string {
    const iat = Math.floor(Date.now() / 1000);
    return signDeviceToken(importPrivateKey(this.key.privateKey), {
      kid: this.key.kid,
      sub: deviceId,
      grp: groupId,
      iat,
      exp: iat + ttlSeconds,
    });
  }

  /**
   * From now on, `path` answers 200 with a body that never ends (64 KiB chunks);
   * resolves when the proxy hangs up on it.
   */
  streamEndlessly(path: string): Promise<void> {
    return new Promise((hungUp) => {
      this.intercept = (req, res) => {
        if (!req.url?.startsWith(path)) return false;
        res.on('close', () => hungUp());
        streamForever(res, '{"padding":"', Buffer.alloc(64 * 1024, 0x20));
        return true;
      };
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Scripted upstream: verdicts from a table (unknown otherwise), records every batch, can fail or stall. */
export class FakeUpstream {
  verdicts = new Map<string, Omit<UpstreamVerdict, 'key'>>();
  batches: string[][] = [];
  mode: 'ok' | 'fail' | 'stall' = 'ok';
  delayMs = 0;
  server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url !== '/v1/lookup')
          return void res
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error":"not_found","message":"scripted upstream: lookups only"}');
        if (this.mode === 'fail') return void res.writeHead(500).end('{}');
        if (this.mode === 'stall') return;
        const { keys } = JSON.parse(body) as { keys: string[] };
        this.batches.push(keys);
        const results = keys.map((key) => ({ key, ...(this.verdicts.get(key) ?? { verdict: 'unknown' }) }));
        setTimeout(
          () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results })),
          this.delayMs,
        );
      });
    });
  }

  asked(key: string): number {
    return this.batches.flat().filter((k) => k === key).length;
  }

  async start(): Promise<this> {
    await listen(this.server, 0, '127.0.0.1');
    this.url = serverUrl(this.server);
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
