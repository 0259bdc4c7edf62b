import type { Logger } from '@ksn/service-kit';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from './durable-file';

export interface SpoolRecord {
  file: string;
  idempotencyKey: string;
  bytes: number;
}

/** What delivering one record came to: done (delete it), retry later, or drop (the upstream refused it for good). */
export type DeliveryResult = 'done' | 'retry' | 'drop';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  retryMs: number;
  deliver: (body: Buffer, idempotencyKey: string) => Promise<DeliveryResult>;
  onDropped: (reason: 'full' | 'refused') => void;
  log: Logger;
}

const NAME = /^(\d{16})-([A-Za-z0-9-]{1,100})\.json$/;

/**
 * Telemetry accepted while the upstream was down, kept on disk until it can be
 * delivered: one file per submission (`<seq>-<idempotency key>.json`), written
 * to a temp file, fsynced, renamed and the directory fsynced before the device
 * is told it was accepted, so nothing acknowledged is lost in a crash. Bounded
 * by bytes: the oldest records are dropped (and counted) to make room. Delivery
 * is oldest first, with the record's Idempotency-Key, so a record delivered just
 * before a crash and delivered again after it counts once upstream.
 */
export class TelemetrySpool {
  private records: SpoolRecord[] = [];
  private totalBytes = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private delivering: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly opts: SpoolOptions) {}

  get bytes(): number {
    return this.totalBytes;
  }

  get size(): number {
    return this.records.length;
  }

  /** Reads what a previous run left (temp files of an interrupted write are discarded). */
  async open(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(this.opts.dir)).sort();
    for (const name of names) {
      const m = NAME.exec(name);
      const file = join(this.opts.dir, name);
      if (!m) {
        if (name.endsWith('.tmp')) await unlink(file).catch(() => undefined);
        continue;
      }
      const { size } = await stat(file);
      this.records.push({ file, idempotencyKey: m[2]!, bytes: size });
      this.totalBytes += size;
      this.seq = Math.max(this.seq, Number(m[1]));
    }
    if (this.records.length > 0)
      this.opts.log.info('telemetry spool holds undelivered records', {
        records: this.records.length,
        bytes: this.totalBytes,
      });
  }

  /** Durably stores one submission; resolves only once it is on disk. */
  async add(body: Buffer, idempotencyKey: string): Promise<void> {
    while (this.records.length > 0 && this.totalBytes + body.length > this.opts.maxBytes) {
      const oldest = this.records.shift()!;
      this.totalBytes -= oldest.bytes;
      await unlink(oldest.file).catch(() => undefined);
      this.opts.onDropped('full');
    }
    const name = `${String(++this.seq).padStart(16, '0')}-${idempotencyKey}.json`;
    const file = join(this.opts.dir, name);
    await replaceFile(file, body);
    this.records.push({ file, idempotencyKey, bytes: body.length });
    this.totalBytes += body.length;
  }

  start(): void {
    this.timer = setInterval(() => void this.deliver(), this.opts.retryMs);
    this.timer.unref();
  }

  /** Delivers records oldest first until one must wait; one run at a time. */
  deliver(): Promise<void> {
    this.delivering ??= this.run().finally(() => (this.delivering = undefined));
    return this.delivering;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.records.length > 0) {
      const record = this.records[0]!;
      let result: DeliveryResult;
      try {
        result = await this.opts.deliver(await readFile(record.file), record.idempotencyKey);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.opts.log.warn('spooled telemetry delivery failed', { error: (e as Error).message });
          return;
        }
        result = 'drop';
      }
      if (result === 'retry') return;
      if (result === 'drop') this.opts.onDropped('refused');
      // The file goes first, so what the spool counts is never less than what is on disk.
      await unlink(record.file).catch(() => undefined);
      // It may have been dropped for room meanwhile.
      if (this.records[0] === record) {
        this.records.shift();
        this.totalBytes -= record.bytes;
      }
    }
  }

  /** Stops delivering and waits for a delivery in progress: everything left stays on disk for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.delivering;
  }
}
