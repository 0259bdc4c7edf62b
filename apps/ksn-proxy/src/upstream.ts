import { compile, UpstreamLookupResponse, type UpstreamVerdict } from '@ksn/contracts';
import { Pool } from 'undici';
import type { ProxyMetrics } from './metrics';

export class UpstreamError extends Error {
  constructor(
    readonly kind: 'timeout' | 'error',
    message: string,
  ) {
    super(message);
  }
}

const validResponse = compile(UpstreamLookupResponse);

export interface UpstreamOptions {
  url: string;
  apiKey: string;
  timeoutMs: number;
  connections: number;
  batchMaxKeys: number;
  batchWindowMs: number;
}

interface Waiter {
  resolve(v: UpstreamVerdict): void;
  reject(e: Error): void;
}

/**
 * The upstream cloud, as the proxy sees it: a keep-alive pool, and lookups that
 * are coalesced (one question per key in flight, however many ask) and packed
 * into batches (misses of concurrent requests share one upstream call).
 */
export class Upstream {
  private readonly pool: Pool;
  private readonly inflight = new Map<string, Promise<UpstreamVerdict>>();
  private queue = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly opts: UpstreamOptions,
    private readonly metrics: ProxyMetrics,
    private readonly onRequest: (ok: boolean) => void = () => undefined,
  ) {
    this.pool = new Pool(opts.url, { connections: opts.connections, keepAliveTimeout: 30_000, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
    this.headers = { 'content-type': 'application/json', ...(opts.apiKey && { authorization: `Bearer ${opts.apiKey}` }) };
  }

  /** The verdict for one key; concurrent asks for the same key share one upstream question. */
  lookup(key: string): Promise<UpstreamVerdict> {
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const promise = new Promise<UpstreamVerdict>((resolve, reject) => {
      this.queue.set(key, { resolve, reject });
    });
    this.inflight.set(key, promise);
    // Settle-time cleanup; the caller handles rejection.
    promise.then(
      () => this.inflight.delete(key),
      () => this.inflight.delete(key),
    );
    if (this.queue.size >= this.opts.batchMaxKeys) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.batchWindowMs);
    return promise;
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.size === 0) return;
    const batch = this.queue;
    this.queue = new Map();
    void this.send(batch);
  }

  private async send(batch: Map<string, Waiter>): Promise<void> {
    const body = JSON.stringify({ keys: [...batch.keys()] });
    const end = this.metrics.upstreamDuration.startTimer({ route: 'lookup' });
    try {
      const res = await this.pool.request({ path: '/v1/lookup', method: 'POST', headers: this.headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs) });
      const text = await res.body.text();
      this.metrics.upstreamBytes.inc({ direction: 'sent' }, Buffer.byteLength(body));
      this.metrics.upstreamBytes.inc({ direction: 'received' }, Buffer.byteLength(text));
      if (res.statusCode !== 200) throw new UpstreamError('error', `upstream answered ${res.statusCode}`);
      const parsed = validResponse.validate(JSON.parse(text));
      if (!parsed.ok) throw new UpstreamError('error', `upstream answer malformed at ${parsed.field}`);
      const byKey = new Map(parsed.value.results.map((r) => [r.key, r]));
      this.metrics.upstreamRequests.inc({ route: 'lookup', outcome: 'success' });
      this.onRequest(true);
      for (const [key, waiter] of batch) {
        const result = byKey.get(key);
        if (result) waiter.resolve(result);
        else waiter.reject(new UpstreamError('error', 'upstream did not answer for a key'));
      }
    } catch (e) {
      const timeout = (e as Error).name === 'TimeoutError' || (e as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' || (e as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT';
      const err = e instanceof UpstreamError ? e : new UpstreamError(timeout ? 'timeout' : 'error', (e as Error).message);
      this.metrics.upstreamRequests.inc({ route: 'lookup', outcome: err.kind });
      this.onRequest(false);
      for (const waiter of batch.values()) waiter.reject(err);
    } finally {
      end();
    }
  }

  async close(): Promise<void> {
    this.flush();
    await this.pool.close();
  }
}
