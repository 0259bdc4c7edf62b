import { TELEMETRY_KINDS, type TelemetryKind } from '@ksn/contracts';
import type { Logger } from '@ksn/service-kit';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from './durable-file';

export interface SpoolRecord {
  file: string;
  idempotencyKey: string;
  bytes: number;
}

/**
 * Whose a record is and what it holds, kept with it so that delivery can check the policy
 * in force then (sending may have been turned off for the group since it was accepted).
 */
export interface SpoolMeta {
  groupId: string;
  kind: TelemetryKind;
}

/**
 * What delivering one record came to: done (delete it), retry later, drop (the upstream
 * refused it for good; counted as dropped), or blocked (the policy in force no longer lets
 * it leave; deleted, counted by the deliverer as blocked by policy, not as dropped).
 */
export type DeliveryResult = 'done' | 'retry' | 'drop' | 'blocked';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  retryMs: number;
  /** `meta` is undefined for a record written before records carried it (see `decodeRecord`). */
  deliver: (body: Buffer, idempotencyKey: string, meta: SpoolMeta | undefined) => Promise<DeliveryResult>;
  onDropped: (reason: 'full' | 'refused') => void;
  log: Logger;
}

const NAME = /^(\d{16})-([A-Za-z0-9-]{1,100})\.json$/;

/**
 * A record file is `KSN-SPOOL-2 {"groupId":…,"kind":…}\n` followed by the submission's
 * body as the device sent it. Files written before that hold the body alone; a JSON body
 * never starts with `K`, so the two cannot be confused.
 */
const MAGIC = Buffer.from('KSN-SPOOL-2 ');

export function encodeRecord(body: Buffer, meta: SpoolMeta): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(`${JSON.stringify(meta)}\n`), body]);
}

/** The body and, for records that carry it, their meta; throws on a damaged header. */
export function decodeRecord(data: Buffer): { body: Buffer; meta: SpoolMeta | undefined } {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return { body: data, meta: undefined };
  const eol = data.indexOf(0x0a, MAGIC.length);
  if (eol < 0) throw new Error('spool record header has no end');
  const meta = JSON.parse(data.subarray(MAGIC.length, eol).toString('utf8')) as Partial<SpoolMeta>;
  if (typeof meta.groupId !== 'string' || !(TELEMETRY_KINDS as readonly unknown[]).includes(meta.kind))
    throw new Error('spool record header is malformed');
  return { body: data.subarray(eol + 1), meta: { groupId: meta.groupId, kind: meta.kind! } };
}

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

  /** Durably stores one submission with whose it is (`meta`); resolves only once it is on disk. */
  async add(body: Buffer, idempotencyKey: string, meta: SpoolMeta): Promise<void> {
    const data = encodeRecord(body, meta);
    while (this.records.length > 0 && this.totalBytes + data.length > this.opts.maxBytes) {
      const oldest = this.records.shift()!;
      this.totalBytes -= oldest.bytes;
      await unlink(oldest.file).catch(() => undefined);
      this.opts.onDropped('full');
    }
    const name = `${String(++this.seq).padStart(16, '0')}-${idempotencyKey}.json`;
    const file = join(this.opts.dir, name);
    await replaceFile(file, data);
    this.records.push({ file, idempotencyKey, bytes: data.length });
    this.totalBytes += data.length;
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
      const decoded = await this.read(record);
      if (decoded === 'later') return;
      if (decoded === undefined) result = 'drop';
      else {
        try {
          result = await this.opts.deliver(decoded.body, record.idempotencyKey, decoded.meta);
        } catch (e) {
          this.opts.log.warn('spooled telemetry delivery failed', { error: (e as Error).message });
          return;
        }
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

  /**
   * A record's body and meta; undefined when it is gone (dropped for room) or can never be
   * sent, `later` when reading failed for now.
   */
  private async read(record: SpoolRecord): Promise<ReturnType<typeof decodeRecord> | undefined | 'later'> {
    let data: Buffer;
    try {
      data = await readFile(record.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.opts.log.warn('spooled telemetry delivery failed', { error: (e as Error).message });
      return 'later';
    }
    try {
      return decodeRecord(data);
    } catch (e) {
      // Records are written atomically: only a damaged disk gets here.
      this.opts.log.warn('dropping an unreadable spool record', {
        file: record.file,
        error: (e as Error).message,
      });
      return undefined;
    }
  }

  /** Stops delivering and waits for a delivery in progress: everything left stays on disk for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.delivering;
  }
}
