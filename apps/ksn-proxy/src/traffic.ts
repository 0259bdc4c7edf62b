import type { HeartbeatTraffic, TrafficKind } from '@ksn/contracts';
import type { Logger } from '@ksn/service-kit';
import { appendFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TrafficLogOptions {
  dataDir: string;
  maxBytes: number;
  files: number;
  log: Logger;
  /** How often buffered lines are written; default 1 s. */
  flushMs?: number;
}

/** Most per-minute rows kept for the next heartbeat (the contract's bound). */
const MAX_ROWS = 1000;

/**
 * What left the network: one JSON line per upstream exchange in
 * DATA_DIR/traffic.log (`{time, kind, items, bytesSent, bytesReceived}`),
 * rotated by size (traffic.log.1 … .N), and summed per minute and kind for
 * the heartbeat's `traffic` field. Lines are buffered and appended once a
 * second, so recording costs the request path nothing but a push.
 */
export class TrafficLog {
  private lines: string[] = [];
  private rows = new Map<string, HeartbeatTraffic>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private size = -1;

  constructor(private readonly opts: TrafficLogOptions) {}

  get file(): string {
    return join(this.opts.dataDir, 'traffic.log');
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs ?? 1000);
    this.timer.unref();
  }

  record(kind: TrafficKind, items: number, bytesSent: number, bytesReceived: number, now = Date.now()): void {
    this.lines.push(
      JSON.stringify({ time: new Date(now).toISOString(), kind, items, bytesSent, bytesReceived }),
    );
    const minute = new Date(now - (now % 60_000)).toISOString();
    this.add({ minute, kind, requests: 1, items, bytesSent, bytesReceived });
  }

  /** The per-minute rows since the last drain (for a heartbeat); `restore` puts them back if the beat fails. */
  drain(): HeartbeatTraffic[] {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    return rows;
  }

  restore(rows: HeartbeatTraffic[]): void {
    for (const row of rows) this.add(row);
  }

  private add(row: HeartbeatTraffic): void {
    const id = `${row.minute}|${row.kind}`;
    const known = this.rows.get(id);
    if (known) {
      known.requests += row.requests;
      known.items += row.items;
      known.bytesSent += row.bytesSent;
      known.bytesReceived += row.bytesReceived;
    } else if (this.rows.size < MAX_ROWS) {
      this.rows.set(id, { ...row });
    }
  }

  /** Appends buffered lines, rotating first when the file has reached its bound. */
  flush(): Promise<void> {
    this.writing = this.writing
      .then(() => this.write())
      .catch((e: unknown) => this.opts.log.warn('traffic log write failed', { error: (e as Error).message }));
    return this.writing;
  }

  private async write(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    if (this.size < 0) {
      await mkdir(this.opts.dataDir, { recursive: true });
      this.size = await stat(this.file).then(
        (s) => s.size,
        () => 0,
      );
    }
    if (this.size > 0 && this.size + text.length > this.opts.maxBytes) await this.rotate();
    await appendFile(this.file, text, { mode: 0o600 });
    this.size += Buffer.byteLength(text);
  }

  private async rotate(): Promise<void> {
    const n = this.opts.files;
    await unlink(`${this.file}.${n}`).catch(() => undefined);
    for (let i = n - 1; i >= 1; i--)
      await rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
    await rename(this.file, `${this.file}.1`);
    this.size = 0;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
