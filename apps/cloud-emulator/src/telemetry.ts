import type { IncomingHttpHeaders } from 'node:http';
import { GenerationalMap } from './bounded';

export interface TelemetryRecord {
  /** Arrival number, from 1. */
  seq: number;
  receivedAt: string;
  idempotencyKey?: string;
  /** Every request header as received (the emulator's own API key redacted). */
  headers: IncomingHttpHeaders;
  /** Records in the body: `records.length` of `{records: [...]}`, an array's length, else 1. */
  records: number;
  body: unknown;
}

export interface TelemetryOutcome {
  accepted: number;
  duplicate: boolean;
}

/**
 * The telemetry sink: counts what arrives and keeps the last `keep` uploads
 * with their headers, so tests can check what left the customer's network
 * (and what must not have, e.g. a device token). An `Idempotency-Key` seen
 * before makes the upload a duplicate: accepted, counted as a duplicate, not
 * counted or kept again.
 */
export class TelemetrySink {
  private kept: TelemetryRecord[] = [];
  private readonly seenKeys: GenerationalMap<true>;
  private seq = 0;
  requests = 0;
  records = 0;
  duplicates = 0;

  constructor(
    private readonly keep: number,
    maxIdempotencyKeys: number,
    private readonly redact: (headers: IncomingHttpHeaders) => IncomingHttpHeaders = (h) => h,
  ) {
    this.seenKeys = new GenerationalMap(maxIdempotencyKeys);
  }

  accept(headers: IncomingHttpHeaders, body: unknown, idempotencyKey: string | undefined): TelemetryOutcome {
    const records = countRecords(body);
    if (idempotencyKey !== undefined) {
      if (this.seenKeys.has(idempotencyKey)) {
        this.duplicates++;
        return { accepted: records, duplicate: true };
      }
      this.seenKeys.set(idempotencyKey, true);
    }
    this.requests++;
    this.records += records;
    this.kept.push({
      seq: ++this.seq,
      receivedAt: new Date().toISOString(),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
      headers: this.redact({ ...headers }),
      records,
      body,
    });
    if (this.kept.length > this.keep * 2) this.kept = this.kept.slice(-this.keep);
    return { accepted: records, duplicate: false };
  }

  /** The last `limit` uploads kept, oldest first. */
  last(limit: number): TelemetryRecord[] {
    return this.kept.slice(-Math.min(limit, this.keep));
  }

  reset(): void {
    this.kept = [];
    this.seenKeys.clear();
    this.seq = 0;
    this.requests = 0;
    this.records = 0;
    this.duplicates = 0;
  }
}

function countRecords(body: unknown): number {
  if (Array.isArray(body)) return body.length;
  const records =
    typeof body === 'object' && body !== null ? (body as { records?: unknown }).records : undefined;
  return Array.isArray(records) ? records.length : 1;
}
