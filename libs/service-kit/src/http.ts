/** Small helpers for services written on plain node:http (proxy, emulator). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_STATUS, type ErrorCode } from '@ksn/contracts';

/** An error that becomes a JSON `{error, message, field?}` response with the code's status. */
export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/**
 * What every JSON answer says besides its length: `sendJsonText` writes these, and so does
 * the proxy's fast lane, which writes its answers' heads itself.
 */
export const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
} as const;

/**
 * A copy of ASCII text `s` as one flat string. Text built by `+` or a template is a tree of its
 * pieces, and every answer that holds it copies the tree piece by piece when it is written: a
 * piece kept for many answers (a header line, a memoized part of a lookup answer) is made flat
 * once. For ksn-proxy's batch answers that was 13 µs against 8 to build and write out
 * (tools/bench/analysis.md).
 */
export function flatAscii(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/** `sendJson` for a body already serialised. */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  payload: string,
  headers?: Record<string, string>,
): void {
  // A flat [name, value, …] list: the cheapest form of writeHead (this runs on every proxy answer).
  const head = [
    'content-type',
    JSON_HEADERS['content-type'],
    'content-length',
    String(Buffer.byteLength(payload)),
    'cache-control',
    JSON_HEADERS['cache-control'],
  ];
  if (headers !== undefined) for (const name in headers) head.push(name, headers[name]!);
  res.writeHead(status, head);
  endSoon(res, payload);
}

/** Most answers one flush holds, and the longest (ms) the first of them waits for the rest (see `endSoon`). */
export const END_BATCH_MAX = 128;
export const END_BATCH_HOLD_MS = 1;

/**
 * What `endSoon` ends: a node:http ServerResponse, or anything else that writes one answer
 * when `end(payload)` is called (ksn-proxy's fast-lane connections).
 */
export interface Ending {
  end(payload: string | Buffer): unknown;
  destroy(): unknown;
}

let endBatch: Ending[] = [];
let endPayloads: (string | Buffer)[] = [];
let endBatchStarted = 0;
let endFlushScheduled = false;

/**
 * Ends `res` with `payload` at the end of this turn of the event loop (a setImmediate, which
 * runs once every connection that was readable in this turn has been read and answered),
 * together with every other answer ended in the same turn, instead of writing it at once in
 * the middle of reading the next requests. Written one by one, each answer finds a client on
 * the same host (a load generator, a branch proxy, an agent on a terminal server) asleep and
 * pays for waking it on another core, expensive in a virtual machine; written together, the
 * first wakes it and the rest arrive while it runs, and its next requests come back together.
 * Netty's FlushConsolidationHandler does the same. Measured on one core over loopback: +55 to
 * +67 % cache hits per second (tools/bench/analysis.md). An answer waits at most until
 * END_BATCH_MAX answers are queued or END_BATCH_HOLD_MS has passed since the first of them was.
 */
export function endSoon(res: Ending, payload: string | Buffer): void {
  const now = performance.now();
  if (endBatch.length === 0) endBatchStarted = now;
  endBatch.push(res);
  endPayloads.push(payload);
  if (endBatch.length >= END_BATCH_MAX || now - endBatchStarted >= END_BATCH_HOLD_MS) flushEnds();
  else if (!endFlushScheduled) {
    endFlushScheduled = true;
    setImmediate(onEndTurn);
  }
}

function onEndTurn(): void {
  endFlushScheduled = false;
  flushEnds();
}

function flushEnds(): void {
  const batch = endBatch;
  const payloads = endPayloads;
  endBatch = [];
  endPayloads = [];
  for (let i = 0; i < batch.length; i++) {
    // One answer that cannot be written must not strand the others on their connections.
    try {
      batch[i]!.end(payloads[i]);
    } catch {
      batch[i]!.destroy();
    }
  }
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, errorBody(err), err.headers);
}

/** The JSON body of an error answer: `{error, message, field?}`. */
export function errorBody(err: HttpError): Record<string, string> {
  const body: Record<string, string> = { error: err.code, message: err.message };
  if (err.field !== undefined) body['field'] = err.field;
  return body;
}

/**
 * Reads a whole request body up to `limit` bytes. Bodies over the limit are
 * refused with 413 as soon as the Content-Length (or the stream) says so.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new HttpError('payload_too_large', `body larger than ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError('payload_too_large', `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Reads and parses a JSON body; 415 for another media type, 400 for bad JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  requireJsonType(req.headers['content-type']);
  return parseJsonBody((await readBody(req, limit)).toString('utf8'));
}

/** A 415 unless the Content-Type is application/json. */
export function requireJsonType(type: string | undefined): void {
  if (type === undefined || !/^application\/json\b/i.test(type)) {
    throw new HttpError('unsupported_media_type', 'Content-Type must be application/json');
  }
}

/** A request body's JSON, or a 400. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError('invalid_request', 'body is not valid JSON');
  }
}

/** A peer's response body went past the bound its reader set. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a response body from a peer (an undici body, any byte stream) as UTF-8, up
 * to `limit` bytes. Past the limit it stops reading, destroys the stream and rejects
 * with BodyTooLargeError: a broken or hostile peer cannot make the reader buffer
 * without bound, nor keep it waiting on an endless body.
 */
export async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy?(error?: Error): unknown },
  limit: number,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      // A Node stream is destroyed here; leaving the loop cancels a web stream (fetch's body).
      body.destroy?.();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
