import { ChangesResponse, compile, UpstreamLookupResponse, type UpstreamVerdict } from '@ksn/contracts';
import { readCapped } from '@ksn/service-kit';
import { Pool } from 'undici';
import { CircuitBreaker } from './breaker';
import type { ProxyMetrics, UpstreamOutcome } from './metrics';
import { TokenBucket } from './quota';
import type { TrafficLog } from './traffic';

/** Why an upstream question failed: `open` (circuit breaker) and `quota` are refused without asking. */
export type UpstreamErrorKind = 'timeout' | 'error' | 'open' | 'quota';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const validResponse = compile(UpstreamLookupResponse);
const validChanges = compile(ChangesResponse);

export interface UpstreamOptions {
  /** Empty: private mode, there is no upstream. */
  url: string;
  /** Bearer credential sent upstream (an API key, or a device token for a ksn-proxy upstream). */
  token: string;
  timeoutMs: number;
  connections: number;
  /** Most keys in one batch (what queued while every connection was busy leaves together). */
  batchMaxKeys: number;
  /** A batch leaves once this many keys wait, before the window ends. */
  batchFlushKeys: number;
  batchWindowMs: number;
  retries: number;
  retryBackoffMs: number;
  breakerFailures: number;
  breakerResetMs: number;
  quotaPerSecond: number;
  quotaBurst: number;
}

interface Waiter {
  resolve(v: UpstreamVerdict): void;
  reject(e: Error): void;
}

/**
 * Bounds on what the proxy reads from the upstream: a lookup answer may carry up to 8 KiB
 * per key asked (a URL key of 4,096 characters, category, vendor and certificate) plus
 * `SMALL_ANSWER_MAX_BYTES`, which also bounds the answers that carry no list (telemetry
 * acknowledgements, a renewed token); a change-feed page up to 16 MiB. Past them the
 * answer is an upstream error (502), not memory spent on a broken or hostile upstream.
 */
export const SMALL_ANSWER_MAX_BYTES = 64 * 1024;
const ANSWER_BYTES_PER_KEY = 8 * 1024;
const FEED_PAGE_MAX_BYTES = 16 * 1024 * 1024;

/** Statuses worth another try: the upstream (or something before it) was briefly unable. */
const RETRYABLE_STATUS = new Set([502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * The upstream cloud, as the proxy sees it: a keep-alive pool, and lookups that
 * are coalesced (one question per key in flight, however many ask) and packed
 * into batches (misses of concurrent requests share one upstream call).
 * A batch leaves when `batchFlushKeys` misses wait or `batchWindowMs` has passed,
 * whichever comes first. Under load that keeps batches small and several in
 * flight, so the upstream works on the next ones while the answers of the last
 * are sent (one batch of hundreds would be answered in one long turn of the
 * event loop, during which nothing new is asked; ADR 012). At most `connections`
 * batches are in flight: while all are busy, new misses wait in the queue and
 * leave together (up to `batchMaxKeys` a batch) when one is free, so no batch
 * spends its timeout queued for a connection. The change feed long-polls on a pool of
 * its own and never takes a lookup connection. Every batch passes the quota
 * guard and the circuit breaker, is retried with backoff on connection errors
 * and 502/503/504, and is written to the traffic log.
 */
export class Upstream {
  private readonly pool: Pool | undefined;
  private readonly feedPool: Pool | undefined;
  private batchesInFlight = 0;
  private readonly inflight = new Map<string, Promise<UpstreamVerdict>>();
  private queue = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private headers: Record<string, string>;
  private readonly flushAt: number;
  readonly breaker: CircuitBreaker;
  readonly quota: TokenBucket;

  constructor(
    private readonly opts: UpstreamOptions,
    private readonly metrics: ProxyMetrics,
    private readonly traffic: TrafficLog,
    private readonly onRequest: (ok: boolean) => void = () => undefined,
  ) {
    this.pool = opts.url
      ? new Pool(opts.url, {
          connections: opts.connections,
          keepAliveTimeout: 30_000,
          headersTimeout: opts.timeoutMs,
          bodyTimeout: opts.timeoutMs,
        })
      : undefined;
    this.feedPool = opts.url ? new Pool(opts.url, { keepAliveTimeout: 30_000 }) : undefined;
    this.headers = {
      'content-type': 'application/json',
      ...(opts.token && { authorization: `Bearer ${opts.token}` }),
    };
    this.flushAt = Math.min(opts.batchFlushKeys, opts.batchMaxKeys);
    this.breaker = new CircuitBreaker(opts.breakerFailures, opts.breakerResetMs);
    this.quota = new TokenBucket(opts.quotaPerSecond, opts.quotaBurst);
  }

  /** A renewed upstream credential (UpstreamCredential) for the requests that follow. */
  setToken(token: string): void {
    this.headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  }

  /** False in private mode: nothing may leave the network. */
  get enabled(): boolean {
    return this.pool !== undefined;
  }

  /** Distinct keys waiting on the upstream (what UPSTREAM_MAX_PENDING_KEYS bounds). */
  get pendingKeys(): number {
    return this.inflight.size;
  }

  isPending(key: string): boolean {
    return this.inflight.has(key);
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
    if (this.queue.size >= this.flushAt) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.opts.batchWindowMs);
    return promise;
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.size > 0 && this.batchesInFlight < this.opts.connections) {
      let batch = this.queue;
      if (batch.size <= this.opts.batchMaxKeys) this.queue = new Map();
      else {
        batch = new Map();
        for (const [key, waiter] of this.queue) {
          batch.set(key, waiter);
          this.queue.delete(key);
          if (batch.size === this.opts.batchMaxKeys) break;
        }
      }
      this.batchesInFlight++;
      void this.send(batch).finally(() => {
        this.batchesInFlight--;
        // Misses that arrived while every connection was busy leave now, together.
        if (this.queue.size > 0 && !this.timer) this.flush();
      });
    }
  }

  private async send(batch: Map<string, Waiter>): Promise<void> {
    const refuse = (err: UpstreamError) => {
      this.metrics.upstreamRequests.inc({ route: 'lookup', outcome: err.kind });
      for (const waiter of batch.values()) waiter.reject(err);
    };
    if (!this.pool) return refuse(new UpstreamError('error', 'private mode: no upstream'));
    if (!this.quota.take()) {
      this.metrics.quotaThrottled.inc();
      return refuse(new UpstreamError('quota', 'upstream quota spent'));
    }
    if (!this.breaker.tryAcquire())
      return refuse(new UpstreamError('open', 'circuit breaker open: the upstream failed repeatedly'));
    const body = JSON.stringify({ keys: [...batch.keys()] });
    const end = this.metrics.upstreamDuration.startTimer({ route: 'lookup' });
    try {
      const results = await this.withRetries(() => this.ask(this.pool!, body, batch.size));
      this.breaker.success();
      this.metrics.upstreamRequests.inc({ route: 'lookup', outcome: 'success' });
      this.onRequest(true);
      const byKey = new Map(results.map((r) => [r.key, r]));
      for (const [key, waiter] of batch) {
        const result = byKey.get(key);
        if (result) waiter.resolve(result);
        else waiter.reject(new UpstreamError('error', 'upstream did not answer for a key'));
      }
    } catch (e) {
      this.breaker.failure();
      const err = e as UpstreamError;
      this.metrics.upstreamRequests.inc({ route: 'lookup', outcome: err.kind });
      this.onRequest(false);
      for (const waiter of batch.values()) waiter.reject(err);
    } finally {
      end();
    }
  }

  /** Retries what is safe to retry (a lookup asks, it changes nothing) with exponential backoff. */
  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        const err = toUpstreamError(e);
        const retryable =
          (e as { retryable?: boolean }).retryable === true ||
          RETRYABLE_CODES.has((e as { code?: string }).code ?? '');
        if (!retryable || n >= this.opts.retries) throw err;
        await new Promise((r) => setTimeout(r, this.opts.retryBackoffMs * 2 ** n));
      }
    }
  }

  private async ask(pool: Pool, body: string, items: number): Promise<UpstreamVerdict[]> {
    const res = await pool.request({
      path: '/v1/lookup',
      method: 'POST',
      headers: this.headers,
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await readCapped(res.body, SMALL_ANSWER_MAX_BYTES + items * ANSWER_BYTES_PER_KEY);
    const sent = Buffer.byteLength(body);
    const received = Buffer.byteLength(text);
    this.metrics.upstreamBytes.inc({ direction: 'sent' }, sent);
    this.metrics.upstreamBytes.inc({ direction: 'received' }, received);
    this.traffic.record('lookup', items, sent, received);
    if (res.statusCode !== 200) {
      throw Object.assign(new UpstreamError('error', `upstream answered ${res.statusCode}`), {
        retryable: RETRYABLE_STATUS.has(res.statusCode),
      });
    }
    const parsed = validResponse.validate(JSON.parse(text));
    if (!parsed.ok) throw new UpstreamError('error', `upstream answer malformed at ${parsed.field}`);
    return parsed.value.results;
  }

  /**
   * One long-poll of the upstream's verdict-change feed. Resolves undefined when
   * the upstream has no feed (404: e.g. an older upstream).
   */
  async changes(
    since: string,
    waitSeconds: number,
    signal: AbortSignal,
  ): Promise<ChangesResponse | undefined> {
    if (!this.feedPool) return undefined;
    let received = 0;
    const count = (outcome: UpstreamOutcome) =>
      this.metrics.upstreamExchange('changes', outcome, { sent: 0, received });
    try {
      const res = await this.feedPool.request({
        path: `/v1/changes?since=${encodeURIComponent(since)}&wait=${waitSeconds}`,
        method: 'GET',
        headers: this.headers,
        signal,
        headersTimeout: (waitSeconds + 10) * 1000,
        bodyTimeout: this.opts.timeoutMs,
      });
      const text = await readCapped(res.body, FEED_PAGE_MAX_BYTES);
      received = Buffer.byteLength(text);
      if (res.statusCode === 404) {
        count('error');
        return undefined;
      }
      if (res.statusCode !== 200)
        throw new UpstreamError('error', `upstream change feed answered ${res.statusCode}`);
      const parsed = validChanges.validate(JSON.parse(text));
      if (!parsed.ok) throw new UpstreamError('error', `upstream change feed malformed at ${parsed.field}`);
      this.traffic.record('changes', parsed.value.changes.length, 0, received);
      count('success');
      return parsed.value;
    } catch (e) {
      // Stopped, or a relayed poll whose branch hung up: not something the upstream did.
      if (!signal.aborted) count(toUpstreamError(e).kind === 'timeout' ? 'timeout' : 'error');
      throw e;
    }
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all([this.pool?.close(), this.feedPool?.close()]);
  }
}

function toUpstreamError(e: unknown): UpstreamError {
  if (e instanceof UpstreamError) return e;
  const code = (e as { code?: string }).code;
  const timeout =
    (e as Error).name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT';
  return new UpstreamError(timeout ? 'timeout' : 'error', (e as Error).message);
}
