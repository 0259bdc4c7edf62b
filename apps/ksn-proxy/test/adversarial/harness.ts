/**
 * Shared pieces of the proxy's adversarial suite: a real proxy on port 0 in front of a
 * recording upstream (every request it receives, with headers and body) whose
 * behaviour a test can turn bad, and raw-socket helpers for framing attacks.
 */
import type { UpstreamVerdict } from '@ksn/contracts';
import { createLogger, listen, serverUrl, type Logger } from '@ksn/service-kit';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { startProxy, type RunningProxy } from '../../src/server';
import { FakeSecurityCenter, PROXY_KEY } from '../fakes';

export const EICAR = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** What the recording upstream does with the next requests. */
export type UpstreamBehaviour =
  | { kind: 'ok' }
  | { kind: 'error'; status: number }
  /** Sends the status line, headers and half the body, then resets the connection. */
  | { kind: 'reset-mid-response' }
  /** Accepts the connection and never answers. */
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number };

/**
 * A real upstream on port 0 that records every request and answers `/v1/lookup`
 * from a verdict table (unknown otherwise) and `/v1/telemetry` with 202. Every
 * answer carries hop-by-hop headers, so tests can check the proxy drops them.
 */
export class RecordingUpstream {
  readonly requests: Recorded[] = [];
  readonly verdicts = new Map<string, Omit<UpstreamVerdict, 'key'>>();
  behaviour: UpstreamBehaviour = { kind: 'ok' };
  readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body,
        });
        const b = this.behaviour;
        if (b.kind === 'hang') return;
        if (b.kind === 'error')
          return void res
            .writeHead(b.status, { 'content-type': 'application/json' })
            .end('{"error":"internal_error","message":"injected"}');
        let payload = '{}';
        let status = 200;
        if (req.url?.startsWith('/v1/lookup')) {
          const { keys } = JSON.parse(body) as { keys: string[] };
          payload = JSON.stringify({
            results: keys.map((key) => ({ key, ...(this.verdicts.get(key) ?? { verdict: 'unknown' }) })),
          });
        } else if (req.url?.startsWith('/v1/telemetry')) {
          status = 202;
          payload = JSON.stringify({ accepted: 1, duplicate: 0 });
        }
        const headers = {
          'content-type': 'application/json',
          connection: 'keep-alive, x-upstream-private',
          'x-upstream-private': 'must-not-reach-the-endpoint',
          'keep-alive': 'timeout=5',
          'proxy-authenticate': 'Basic realm="upstream"',
          'x-upstream-ok': 'end-to-end header',
        };
        if (b.kind === 'reset-mid-response') {
          res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) });
          res.write(payload.slice(0, Math.floor(payload.length / 2)));
          setTimeout(() => res.socket?.destroy(), 5);
          return;
        }
        const send = () =>
          res
            .writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(payload)) })
            .end(payload);
        if (b.kind === 'slow') setTimeout(send, b.delayMs);
        else send();
      });
    });
  }

  /** Upstream lookups received (not other routes). */
  get lookups(): Recorded[] {
    return this.requests.filter((r) => r.url.startsWith('/v1/lookup'));
  }

  async start(port = 0): Promise<this> {
    await listen(this.server, port, '127.0.0.1');
    this.url = serverUrl(this.server);
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export const quiet: Logger = createLogger('ksn-proxy', { write: () => undefined });

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Rig {
  sc: FakeSecurityCenter;
  up: RecordingUpstream;
  proxy: RunningProxy;
  token: string;
  dataDir: string;
  close(): Promise<void>;
}

export function proxyConfig(
  sc: { url: string },
  upstreamUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
) {
  return loadConfig({
    PORT: '0',
    ADMIN_PORT: '0',
    HOST: '127.0.0.1',
    KSN_UPSTREAM_URL: upstreamUrl,
    SECURITY_CENTER_URL: sc.url,
    PROXY_API_KEY: PROXY_KEY,
    DATA_DIR: dataDir,
    HEARTBEAT_INTERVAL_MS: '1000',
    UPSTREAM_TIMEOUT_MS: '500',
    ...env,
  });
}

/** Fake security-center + recording upstream + a real proxy with a snapshot loaded. */
export async function startRig(env: Record<string, string> = {}, log: Logger = quiet): Promise<Rig> {
  const sc = await new FakeSecurityCenter().start();
  const up = await new RecordingUpstream().start();
  up.verdicts.set(`sha256:${EICAR}`, { verdict: 'malicious' });
  const dataDir = mkdtempSync(join(tmpdir(), 'ksn-adv-'));
  const proxy = await startProxy(proxyConfig(sc, up.url, dataDir, env), log);
  await until(() => proxy.store.current !== undefined);
  const rig: Rig = {
    sc,
    up,
    proxy,
    token: sc.token(),
    dataDir,
    async close() {
      // The current proxy: a test may have replaced it.
      await rig.proxy.close();
      await sc.close();
      await up.close();
    },
  };
  return rig;
}

export function lookupBody(items: unknown[], module = 'file-threat-protection'): string {
  return JSON.stringify({ module, items });
}

export async function postLookup(
  rig: Rig,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${rig.proxy.endpointUrl}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rig.token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface RawReply {
  /** The first status code seen, or undefined when the connection closed without one. */
  status: number | undefined;
  text: string;
  /** True when the proxy closed (or reset) the connection; false when `timeoutMs` passed first. */
  closed: boolean;
}

/** Writes raw bytes to `url`'s host:port and collects whatever comes back until close or timeout. */
export function rawRequest(url: string, bytes: string | Buffer, timeoutMs = 2000): Promise<RawReply> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(u.port), u.hostname, () => socket.write(bytes));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
  });
}

/** The lower-cased names of the headers of a raw HTTP response. */
export function rawHeaderNames(text: string): string[] {
  const head = text.split('\r\n\r\n')[0] ?? '';
  return head
    .split('\r\n')
    .slice(1)
    .map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
}

/** A fast-check seed: FC_SEED from the environment to replay, else a fresh one, printed. */
export function fuzzSeed(suite: string): number {
  const fromEnv = process.env['FC_SEED'];
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 2_147_483_647;
  process.stdout.write(`[fuzz] ${suite}: seed ${seed} (replay with FC_SEED=${seed})\n`);
  return seed;
}
