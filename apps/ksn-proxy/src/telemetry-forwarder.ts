/**
 * The one module that knows about `http-proxy` (unmaintained since 2020: keep it
 * behind this seam so it can be replaced). It streams a permitted telemetry
 * body to the upstream and the upstream's answer back to the device, each side
 * stripped of hop-by-hop headers and of the device's identity.
 */
import { createProxyServer } from 'http-proxy';
import {
  Agent as HttpAgent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy Proxy-Connection: they belong to one connection. */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
];
/** The device's identity stays inside the network. */
const DEVICE_IDENTITY = ['authorization', 'cookie', 'x-device-id', 'x-forwarded-for', 'forwarded', 'expect'];

/** Headers without the hop-by-hop ones, including every header the Connection header names. */
export function stripHopByHop(
  headers: IncomingHttpHeaders,
  alsoDrop: readonly string[] = [],
): IncomingHttpHeaders {
  const drop = new Set([...HOP_BY_HOP, ...alsoDrop]);
  const connection = headers['connection'];
  if (typeof connection === 'string')
    for (const name of connection.split(',')) drop.add(name.trim().toLowerCase());
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (!drop.has(name) && value !== undefined) out[name] = value;
  return out;
}

/**
 * Upstream refusals that describe the body, which is forwarded byte for byte as the device
 * sent it (malformed, too large, wrong type, unprocessable): passed on to the device. Every
 * other refusal (401/403/407 the proxy's own credential, 404/405 its upstream URL, a
 * redirect, …) is about this proxy, not the device: the device gets 502 `upstream_error`.
 */
export const BODY_REFUSALS: ReadonlySet<number> = new Set([400, 413, 415, 422]);

/**
 * A refusal by policy rather than of the proxy: an upstream ksn-proxy (tiering) answers
 * 403 `sending_disabled` when its policy for this proxy's group disables sending that
 * kind. Final, like a device's own policy: counted as blocked, never retried.
 */
export function policyRefusal(status: number, error: string | undefined): boolean {
  return status === 403 && error === 'sending_disabled';
}

/** The `error` code of a refusal's JSON body (`{"error": …}`), if it has one. */
export function refusalCode(text: string): string | undefined {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

/** Most bytes of a refusal's body read for its code; the rest is read and dropped. */
const REFUSAL_TEXT_MAX = 4096;

/** Upstream statuses that mean "not now": the submission is spooled and delivered later. */
export function upstreamUnavailable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export type ForwardOutcome =
  /** The upstream answered (2xx, or a refusal in BODY_REFUSALS) and its answer was passed to the device. */
  | { kind: 'answered'; status: number; bytesReceived: number }
  /**
   * The upstream refused the proxy itself (see BODY_REFUSALS), or by policy (see
   * `policyRefusal`, `error` is the refusal's code): nothing was sent to the device.
   */
  | { kind: 'refused'; status: number; bytesReceived: number; error?: string | undefined }
  /**
   * The upstream could not take it (connection error, timeout, 5xx, 429, 408): nothing was
   * sent to the device. `status` when the upstream answered.
   */
  | { kind: 'unavailable'; reason: string; status?: number };

export interface ForwarderOptions {
  /** Upstream base URL. */
  url: string;
  /** Bearer credential for the upstream (empty: none). */
  token: string;
  timeoutMs: number;
}

export class TelemetryForwarder {
  private readonly proxy;
  private readonly target: string;
  private readonly agent: HttpAgent;
  /** The answer handler of each request in flight (http-proxy has one 'proxyRes' event for all). */
  private readonly pending = new WeakMap<IncomingMessage, (proxyRes: IncomingMessage) => void>();

  constructor(private readonly opts: ForwarderOptions) {
    this.target = `${opts.url}/v1/telemetry`;
    this.agent = opts.url.startsWith('https:')
      ? new HttpsAgent({ keepAlive: true, maxSockets: 16 })
      : new HttpAgent({ keepAlive: true, maxSockets: 16 });
    this.proxy = createProxyServer({
      selfHandleResponse: true,
      ignorePath: true,
      changeOrigin: true,
      xfwd: false,
      agent: this.agent,
    });
    // Errors arrive through the per-call callback; this keeps an unexpected one from crashing the process.
    this.proxy.on('error', () => undefined);
    this.proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage) => {
      const handler = this.pending.get(req);
      this.pending.delete(req);
      if (handler) handler(proxyRes);
      else proxyRes.resume();
    });
  }

  /**
   * Sends `body` (already read and validated) upstream with `idempotencyKey`, and
   * passes the upstream's answer on to `res` when it has one worth passing.
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    idempotencyKey: string,
  ): Promise<ForwardOutcome> {
    const headers = stripHopByHop(req.headers, DEVICE_IDENTITY);
    headers['content-length'] = String(body.length);
    headers['idempotency-key'] = idempotencyKey;
    if (this.opts.token) headers['authorization'] = `Bearer ${this.opts.token}`;
    // http-proxy copies req.headers into the upstream request: give it the clean set.
    req.headers = headers;
    return new Promise<ForwardOutcome>((resolve) => {
      let settled = false;
      const settle = (o: ForwardOutcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      this.pending.set(req, (proxyRes) => {
        const status = proxyRes.statusCode ?? 502;
        if (upstreamUnavailable(status)) {
          proxyRes.resume();
          settle({ kind: 'unavailable', reason: `upstream answered ${status}`, status });
          return;
        }
        let bytes = 0;
        proxyRes.on('data', (c: Buffer) => (bytes += c.length));
        if (status >= 300 && !BODY_REFUSALS.has(status)) {
          // Not the device's to see (a device told 401 would think its own token bad): read
          // and drop it, keeping its start for the refusal's code.
          let text = '';
          proxyRes.on('data', (c: Buffer) => {
            if (text.length < REFUSAL_TEXT_MAX) text += c.toString('utf8', 0, REFUSAL_TEXT_MAX - text.length);
          });
          const refused = () =>
            settle({ kind: 'refused', status, bytesReceived: bytes, error: refusalCode(text) });
          proxyRes.on('end', refused);
          proxyRes.on('error', refused);
          proxyRes.resume();
          return;
        }
        proxyRes.on('end', () => settle({ kind: 'answered', status, bytesReceived: bytes }));
        proxyRes.on('error', () => settle({ kind: 'answered', status, bytesReceived: bytes }));
        res.writeHead(status, stripHopByHop(proxyRes.headers) as OutgoingHttpHeaders);
        proxyRes.pipe(res);
      });
      this.proxy.web(
        req,
        res,
        { target: this.target, buffer: Readable.from([body]), proxyTimeout: this.opts.timeoutMs },
        (err) => {
          this.pending.delete(req);
          // Failed mid-answer: the device's response cannot be completed honestly.
          if (res.headersSent) {
            res.destroy();
            settle({ kind: 'answered', status: res.statusCode, bytesReceived: 0 });
          }
          settle({ kind: 'unavailable', reason: err.message || 'upstream unreachable' });
        },
      );
    });
  }

  close(): void {
    this.proxy.close();
    this.agent.destroy();
  }
}
