import { compile, TokenResponse } from '@ksn/contracts';
import { decodeDeviceToken } from '@ksn/device-auth';
import { readCapped, type Logger } from '@ksn/service-kit';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { replaceFile } from './durable-file';
import { SMALL_ANSWER_MAX_BYTES } from './upstream';

const validToken = compile(TokenResponse);
/** First retry after a failed renewal; doubles up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;

/**
 * The Bearer credential this proxy sends upstream. An API key (the cloud) is used
 * as is. A device token (a branch proxy whose upstream is a central ksn-proxy)
 * expires, so it is renewed through the upstream's `POST /v1/token/refresh` once
 * two thirds of its lifetime have passed, kept in DATA_DIR/upstream-token (mode
 * 0600) so that a restart does not fall back to the expired original, and handed
 * to everything that talks upstream (`onChange`).
 */
export class UpstreamCredential {
  token: string;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private stopped = false;
  private readonly listeners: ((token: string) => void)[] = [];

  constructor(
    private readonly opts: { url: string; token: string; dataDir: string; timeoutMs: number; log: Logger },
  ) {
    this.token = opts.token;
  }

  private get file(): string {
    return join(this.opts.dataDir, 'upstream-token');
  }

  onChange(fn: (token: string) => void): void {
    this.listeners.push(fn);
  }

  /** Takes a renewed token saved by an earlier run (if it outlives the configured one) and schedules renewal. */
  async start(): Promise<void> {
    const configured = decodeDeviceToken(this.opts.token);
    if (configured === undefined || this.opts.url === '') return;
    try {
      const saved = (await readFile(this.file, 'utf8')).trim();
      const claims = decodeDeviceToken(saved);
      // Only a renewal of the same device: a newly configured token for another device wins.
      if (claims !== undefined && claims.sub === configured.sub && claims.exp > configured.exp)
        this.set(saved);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.opts.log.warn('ignoring the saved upstream token', { error: (e as Error).message });
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Renews now (the timer calls this); on failure retries with backoff until the token is renewed. */
  async renew(): Promise<void> {
    try {
      const res = await request(`${this.opts.url.replace(/\/+$/, '')}/v1/token/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: this.token }),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      const text = await readCapped(res.body, SMALL_ANSWER_MAX_BYTES);
      if (res.statusCode !== 200)
        throw new Error(`the upstream answered ${res.statusCode}: ${text.slice(0, 200)}`);
      const parsed = validToken.validate(JSON.parse(text));
      if (!parsed.ok) throw new Error(`the upstream's token answer is malformed at ${parsed.field}`);
      await this.persist(parsed.value.token);
      this.set(parsed.value.token);
      this.retryMs = RETRY_MIN_MS;
      this.opts.log.info('renewed the upstream device token', { expiresAt: parsed.value.expiresAt });
      this.schedule();
    } catch (e) {
      if (this.stopped) return;
      this.opts.log.warn('upstream device token renewal failed; retrying', {
        error: (e as Error).message,
        retryInMs: this.retryMs,
      });
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    }
  }

  private set(token: string): void {
    this.token = token;
    for (const fn of this.listeners) fn(token);
  }

  /** After two thirds of the current token's remaining lifetime (at least a second), or after `delayMs`. */
  private schedule(delayMs?: number): void {
    if (this.stopped) return;
    const exp = decodeDeviceToken(this.token)?.exp ?? 0;
    const wait = delayMs ?? Math.max(1000, ((exp * 1000 - Date.now()) * 2) / 3);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), Math.min(wait, 2 ** 31 - 1));
    this.timer.unref();
  }

  private async persist(token: string): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    await replaceFile(this.file, token);
  }
}
