import { compile, Snapshot, type OverrideAction, type PolicySettings } from '@ksn/contracts';
import { importPublicKey } from '@ksn/device-auth';
import { BodyTooLargeError, readCapped, type Logger } from '@ksn/service-kit';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { syncDir, writeSynced } from './durable-file';

const validSnapshot = compile(Snapshot);

/** A snapshot made ready for per-request use: everything a lookup needs is one map read away. */
export class PolicyIndex {
  readonly groups: Map<string, PolicySettings>;
  readonly keys: Map<string, KeyObject>;
  readonly revoked: Set<string>;
  readonly moved: Map<string, string>;
  private readonly overrides: Map<string, { action: OverrideAction; expiresAt: number }>;
  readonly generatedAt: number;

  constructor(readonly snapshot: Snapshot) {
    this.groups = new Map(snapshot.groups.map((g) => [g.id, g.policy]));
    this.keys = new Map(snapshot.keys.map((k) => [k.kid, importPublicKey(k.publicKey)]));
    this.revoked = new Set(snapshot.revoked.map((r) => r.deviceId));
    this.moved = new Map(snapshot.moved.map((m) => [m.deviceId, m.groupId]));
    this.overrides = new Map(
      snapshot.overrides.map((o) => [
        o.key,
        { action: o.action, expiresAt: o.expiresAt ? Date.parse(o.expiresAt) : Infinity },
      ]),
    );
    this.generatedAt = Date.parse(snapshot.generatedAt);
  }

  get version(): number {
    return this.snapshot.version;
  }

  override(key: string, now: number): OverrideAction | undefined {
    if (this.overrides.size === 0) return undefined;
    const o = this.overrides.get(key);
    return o && o.expiresAt > now ? o.action : undefined;
  }
}

export interface PolicyStoreOptions {
  securityCenterUrl: string;
  apiKey: string;
  dataDir: string;
  /** Long-poll wait in seconds. */
  waitSeconds?: number;
  /** Largest snapshot read (SNAPSHOT_MAX_BYTES): past it the pull fails and the last good snapshot stays. */
  maxSnapshotBytes?: number;
  log: Logger;
}

/** The default bound of a snapshot: 2,000 groups, 100,000 devices and 20,000 rules and overrides are 3 MB. */
export const DEFAULT_SNAPSHOT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Keeps the proxy's policy: pulled from security-center with ETag and
 * long-poll, persisted to disk atomically (temp file, fsync, rename, checksum),
 * and loaded from disk at start so the proxy runs while security-center is away.
 */
export class PolicyStore {
  current: PolicyIndex | undefined;
  /** When security-center last answered a pull (a snapshot or "unchanged"), epoch ms. */
  lastContact: number | undefined;
  private etag: string | undefined;
  private stopped = false;
  private abort = new AbortController();
  private listeners: ((index: PolicyIndex) => void)[] = [];

  constructor(private readonly opts: PolicyStoreOptions) {}

  onChange(fn: (index: PolicyIndex) => void): void {
    this.listeners.push(fn);
  }

  private get file(): string {
    return join(this.opts.dataDir, 'snapshot.json');
  }

  /** Loads the persisted snapshot (current file, else the previous one), if any. */
  async loadFromDisk(): Promise<void> {
    for (const file of [this.file, `${this.file}.prev`]) {
      try {
        const envelope = JSON.parse(await readFile(file, 'utf8')) as { sha256: string; body: string };
        if (createHash('sha256').update(envelope.body).digest('hex') !== envelope.sha256)
          throw new Error('checksum mismatch');
        const parsed = validSnapshot.validate(JSON.parse(envelope.body));
        if (!parsed.ok) throw new Error(`invalid at ${parsed.field}`);
        this.apply(parsed.value, false);
        this.opts.log.info('loaded persisted snapshot', { file, version: parsed.value.version });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          this.opts.log.warn('ignoring unusable snapshot file', { file, error: (e as Error).message });
      }
    }
  }

  /** Pulls forever (until stop): long-poll, apply, persist; backs off while security-center is unreachable. */
  async run(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        await this.pullOnce(this.current ? (this.opts.waitSeconds ?? 30) : 0);
        backoff = 500;
      } catch (e) {
        if (this.stopped) return;
        this.opts.log.warn('snapshot pull failed; serving with the last good snapshot', {
          error: (e as Error).message,
          version: this.current?.version ?? 0,
        });
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  async pullOnce(waitSeconds: number): Promise<boolean> {
    const res = await request(`${this.opts.securityCenterUrl}/api/v1/proxy/snapshot?wait=${waitSeconds}`, {
      headers: {
        authorization: `Bearer ${this.opts.apiKey}`,
        ...(this.etag && this.current && { 'if-none-match': this.etag }),
      },
      signal: this.abort.signal,
      headersTimeout: (waitSeconds + 15) * 1000,
      bodyTimeout: 30_000,
    });
    // The control plane is trusted, but its answer is still read within a bound: a runaway
    // snapshot (or a wrong URL streaming without end) must not exhaust the proxy's memory.
    const limit = this.opts.maxSnapshotBytes ?? DEFAULT_SNAPSHOT_MAX_BYTES;
    let body: string;
    try {
      body = await readCapped(res.body, limit);
    } catch (e) {
      if (e instanceof BodyTooLargeError)
        throw new Error(
          `security-center answered ${res.statusCode} with more than ${limit} bytes (SNAPSHOT_MAX_BYTES)`,
        );
      throw e;
    }
    if (res.statusCode === 304) {
      this.lastContact = Date.now();
      return false;
    }
    if (res.statusCode !== 200)
      throw new Error(`security-center answered ${res.statusCode}: ${body.slice(0, 200)}`);
    const parsed = validSnapshot.validate(JSON.parse(body));
    if (!parsed.ok) throw new Error(`snapshot invalid at ${parsed.field}: ${parsed.message}`);
    this.lastContact = Date.now();
    const version = parsed.value.version;
    if (this.current && version < this.current.version) {
      // Versions only grow: a lower one is a lagging security-center instance (or replica) behind a
      // load balancer. Applying it would undo newer revocations and overrides. Keep the current one,
      // and its ETag, so the next pull still asks "changed since the version in force?".
      this.opts.log.warn('refusing a snapshot older than the one in force', {
        currentVersion: this.current.version,
        offeredVersion: version,
      });
      return false;
    }
    const etag = res.headers['etag'];
    this.etag = typeof etag === 'string' ? etag : undefined;
    if (this.current && version === this.current.version) return false;
    this.apply(parsed.value, true);
    await this.persist(body);
    return true;
  }

  private apply(snapshot: Snapshot, announce: boolean): void {
    const index = new PolicyIndex(snapshot);
    this.current = index;
    this.etag ??= `"v${snapshot.version}"`;
    if (announce)
      this.opts.log.info('applied snapshot', { version: snapshot.version, groups: snapshot.groups.length });
    for (const fn of this.listeners) fn(index);
  }

  private async persist(body: string): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    const envelope = JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex'), body });
    const tmp = `${this.file}.tmp`;
    await writeSynced(tmp, envelope);
    // Keep the previous good file: a corrupt current file falls back to it.
    await rename(this.file, `${this.file}.prev`).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(tmp, this.file);
    await syncDir(this.opts.dataDir);
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
