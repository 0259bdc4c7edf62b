import { endSoon, flatAscii, JSON_HEADERS, type Ending } from '@ksn/service-kit';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The fast lane (ADR 014): lookups answered straight off the socket.
 *
 * node:http costs more per request than a cache hit costs the proxy itself
 * (tools/bench/analysis.md). The fast lane reads the endpoint's plain-HTTP connections
 * itself and answers the requests that fall in a strict subset of HTTP/1.1, for the
 * routes `serve` takes (the two lookup routes; see server.ts `serveFast`). The first
 * request of a connection that falls outside the subset — any other route, method or
 * version, an unusual header, a head or body not yet wholly read — is handed, with
 * every byte after it, to node:http, which owns the connection from then on: its parser,
 * limits, timeouts and error answers apply as if the connection had been its own from
 * the start. The lane only answers what node:http would parse the same way; it never
 * refuses anything itself.
 *
 * The subset (`parseRequest`): `GET` or `POST`, an origin-form target of visible ASCII,
 * `HTTP/1.1`, CRLF line ends, header names that are tokens and values of visible ASCII,
 * space and tab, no obs-fold, at most 64 headers, exactly one Host, at most one
 * Authorization, Content-Type and Content-Length (decimal digits), no Transfer-Encoding,
 * Expect or Upgrade, Connection only as `keep-alive`; a GET has no body, a POST has a
 * Content-Length no larger than `maxBodyBytes` and all of its body read.
 */

/** A request the lane parsed; `end` is the offset just past it in the bytes it came from. */
export interface FastRequest {
  method: 'GET' | 'POST';
  /** The request target, `/…` (path and query). */
  target: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The body's bytes (empty for a GET): a view of the bytes read, valid while `serve` runs. */
  body: Buffer;
  end: number;
}

/** An answer: a status, a JSON text and any extra headers. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string> | undefined;
  /**
   * The body is ASCII only: its length is its size in bytes, and the answer is written as
   * Latin-1, a copy, where UTF-8 takes a pass to measure it and another to encode it.
   */
  ascii?: boolean;
}

export interface FastLaneOptions {
  /** Answers a request, or returns undefined to leave it (and the connection) to node:http. */
  serve: (req: FastRequest) => Reply | Promise<Reply> | undefined;
  maxBodyBytes: number;
  /** How long an idle connection is kept between requests (node:http's keepAliveTimeout). */
  keepAliveMs: number;
  /** How long a new connection may take to send its first request (node:http's headersTimeout). */
  headersTimeoutMs: number;
}

/** The largest request head the lane parses; node:http takes longer ones (up to its own limit). */
const MAX_HEAD = 8 * 1024;
const MAX_HEADERS = 64;
/** Most bytes read ahead while an answer is awaited; past it the connection stops reading. */
const PENDING_MAX = 64 * 1024;
/** Most answer bytes queued on a connection before it answers no more until they are written. */
const OUTPUT_MAX = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const NO_BODY = Buffer.alloc(0);
const CONTENT_LENGTH = /^[0-9]{1,10}$/;
const TARGET = /^\/(?!\/)[\x21\x22\x24-\x7e]*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value with its surrounding whitespace: visible ASCII, space and tab. */
const VALUE = /^[\x20-\x7e\t]*$/;

/** Whether `text[start, end)` is `name` (lower-case letters and '-') in any letter case. */
function isName(text: string, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++)
    if ((text.charCodeAt(start + i) | 0x20) !== name.charCodeAt(i)) return false;
  return true;
}

/** `text[start, end)` without the spaces and tabs around it. */
function trimmed(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return text.slice(start, end);
}

/**
 * The next request in `bytes` if it is wholly there and within the lane's subset of HTTP/1.1
 * (see the module comment), else undefined: the connection is then node:http's.
 * `knownAuthorization`: an Authorization value this connection sent before and that passed
 * these checks; the same value again is not checked character by character (device tokens
 * are long, and an endpoint sends the same one on every request).
 */
export function parseRequest(
  bytes: Buffer,
  maxBodyBytes: number,
  knownAuthorization?: string,
): FastRequest | undefined {
  const headEnd = bytes.indexOf(HEAD_END);
  if (headEnd < 0 || headEnd > MAX_HEAD) return undefined;
  const head = bytes.toString('latin1', 0, headEnd + 2);
  let lineEnd = head.indexOf('\r\n');
  const sp1 = head.indexOf(' ');
  const sp2 = head.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || sp2 > lineEnd || !head.startsWith(' HTTP/1.1\r\n', sp2)) return undefined;
  const method = head.slice(0, sp1);
  if (method !== 'GET' && method !== 'POST') return undefined;
  const target = head.slice(sp1 + 1, sp2);
  if (!TARGET.test(target)) return undefined;

  let host = false;
  let authorization: string | undefined;
  let contentType: string | undefined;
  let contentLength: string | undefined;
  let count = 0;
  // Each header line: name ':' OWS value OWS CRLF (`head` ends with the last line's CRLF).
  for (let start = lineEnd + 2; start < head.length; start = lineEnd + 2) {
    lineEnd = head.indexOf('\r\n', start);
    if (++count > MAX_HEADERS) return undefined;
    const colon = head.indexOf(':', start);
    if (colon < 0 || colon > lineEnd || !TOKEN.test(head.slice(start, colon))) return undefined;
    if (isName(head, start, colon, 'authorization')) {
      if (authorization !== undefined) return undefined;
      authorization = trimmed(head, colon + 1, lineEnd);
      // The same value again is answered with the same string: the verified-token cache then
      // finds it by its hash computed once per connection, not once per request.
      if (authorization === knownAuthorization) authorization = knownAuthorization;
      else if (!VALUE.test(authorization)) return undefined;
      continue;
    }
    const raw = head.slice(colon + 1, lineEnd);
    if (!VALUE.test(raw)) return undefined;
    if (isName(head, start, colon, 'host')) {
      if (host) return undefined;
      host = true;
    } else if (isName(head, start, colon, 'content-type')) {
      if (contentType !== undefined) return undefined;
      contentType = trimmed(raw, 0, raw.length);
    } else if (isName(head, start, colon, 'content-length')) {
      if (contentLength !== undefined) return undefined;
      contentLength = trimmed(raw, 0, raw.length);
      if (!CONTENT_LENGTH.test(contentLength)) return undefined;
    } else if (isName(head, start, colon, 'connection')) {
      if (trimmed(raw, 0, raw.length).toLowerCase() !== 'keep-alive') return undefined;
    } else if (
      isName(head, start, colon, 'transfer-encoding') ||
      isName(head, start, colon, 'expect') ||
      isName(head, start, colon, 'upgrade')
    ) {
      return undefined;
    }
  }
  if (!host) return undefined;
  const bodyStart = headEnd + 4;
  if (method === 'GET') {
    if (contentLength !== undefined) return undefined;
    return { method, target, authorization, contentType, body: NO_BODY, end: bodyStart };
  }
  if (contentLength === undefined) return undefined;
  const length = Number(contentLength);
  if (length > maxBodyBytes || bodyStart + length > bytes.length) return undefined;
  const end = bodyStart + length;
  return { method, target, authorization, contentType, body: bytes.subarray(bodyStart, end), end };
}

/** The Date header's line, computed once a second (as node:http does). */
let dateLine = '';
function httpDateLine(): string {
  if (dateLine === '') {
    const now = new Date();
    dateLine = flatAscii(`Date: ${now.toUTCString()}\r\n`);
    setTimeout(() => (dateLine = ''), 1000 - now.getMilliseconds()).unref();
  }
  return dateLine;
}

/** The last headers of an answer: the connection kept (for `keepAliveMs`) or closed. */
export function connectionHeaders(keepAliveMs: number, close: boolean): string {
  return close
    ? 'Connection: close\r\n\r\n'
    : flatAscii(`Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`);
}

/** An answer's first lines up to its length, by status: `HTTP/1.1 200 OK\r\ncontent-type: …\r\ncontent-length: `. */
const statusHeads = new Map<number, string>();
function statusHead(status: number): string {
  let head = statusHeads.get(status);
  if (head === undefined) {
    const reason = STATUS_CODES[status] ?? 'unknown';
    head = flatAscii(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: ${JSON_HEADERS['content-type']}\r\ncontent-length: `,
    );
    statusHeads.set(status, head);
  }
  return head;
}
const AFTER_LENGTH = flatAscii(`\r\ncache-control: ${JSON_HEADERS['cache-control']}\r\n`);

/**
 * A whole HTTP/1.1 answer, with the headers node:http's `sendJsonText` answers carry, in the
 * same order; `connection` from `connectionHeaders`. Written from flat pieces made once
 * (`flatAscii`): the answer is copied out piece by piece.
 */
export function serializeReply(reply: Reply, connection: string): string {
  let text =
    statusHead(reply.status) +
    (reply.ascii === true ? reply.body.length : Buffer.byteLength(reply.body)) +
    AFTER_LENGTH;
  if (reply.headers !== undefined)
    for (const name in reply.headers) text += `${name}: ${reply.headers[name]}\r\n`;
  return text + httpDateLine() + connection + reply.body;
}

/**
 * Takes over a node:http server's (plain-HTTP) connections: each starts in the lane and
 * moves to node:http at its first request outside the lane's subset.
 */
export class FastLane {
  private readonly connections = new Set<FastConnection>();
  private readonly httpConnection: (socket: Socket) => void;
  /** Set by `drain`: answers close their connections. */
  draining = false;
  /** The answers' last headers, computed once. */
  readonly keepAliveHeaders: string;
  readonly closeHeaders = connectionHeaders(0, true);
  /**
   * Idle connections are found by a sweep (as node:http finds slow ones) rather than a
   * timer per socket, which every read and write would have to re-arm: `tick` counts the
   * sweeps, and a connection notes the tick of its last activity.
   */
  tick = 0;
  private readonly sweepMs: number;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    readonly server: Server,
    readonly opts: FastLaneOptions,
  ) {
    // node:http serves a connection from its one 'connection' listener; the lane calls it
    // itself when it hands a connection over.
    const listeners = server.listeners('connection');
    if (listeners.length !== 1)
      throw new Error('the fast lane needs a node:http server with its own connection listener only');
    this.httpConnection = listeners[0] as (socket: Socket) => void;
    server.removeListener('connection', this.httpConnection);
    server.on('connection', (socket: Socket) => this.connections.add(new FastConnection(this, socket)));
    this.keepAliveHeaders = connectionHeaders(opts.keepAliveMs, false);
    this.sweepMs = Math.max(
      25,
      Math.min(1000, Math.floor(Math.min(opts.keepAliveMs, opts.headersTimeoutMs) / 4)),
    );
    this.sweep = setInterval(() => this.closeQuiet(), this.sweepMs);
    this.sweep.unref();
  }

  /** Closes the connections quiet for longer than their limit (see `FastConnection.expire`). */
  private closeQuiet(): void {
    this.tick++;
    for (const conn of this.connections) conn.expire(this.tick, this.sweepMs);
  }

  /** Stops the sweep (the server has closed). */
  stop(): void {
    clearInterval(this.sweep);
  }

  /** Connections still in the lane (for tests and the drain). */
  get size(): number {
    return this.connections.size;
  }

  /** Gives `socket` to node:http, with `rest` (bytes read and not answered) as its first input. */
  handOver(conn: FastConnection, socket: Socket, rest: Buffer | undefined): void {
    this.connections.delete(conn);
    this.httpConnection.call(this.server, socket);
    if (rest !== undefined && rest.length > 0) socket.unshift(rest);
  }

  forget(conn: FastConnection): void {
    this.connections.delete(conn);
  }

  /** The server is stopping: from now on every answer closes its connection. */
  drain(): void {
    this.draining = true;
  }

  /** Stop keeping connections alive: close the idle ones now, the others after their answers. */
  closeIdle(): void {
    this.drain();
    for (const conn of this.connections) conn.closeIfIdle();
  }
}

/** One connection while it is in the fast lane. */
class FastConnection implements Ending {
  /** Bytes read and not yet answered or handed over. */
  private pending: Buffer | undefined;
  /** An answer is being computed (a miss waits for the upstream): later requests wait. */
  private busy = false;
  /** Answers queued in the end-of-turn batch (`endSoon`), not yet written, and their length. */
  private queued = 0;
  private queuedBytes = 0;
  /** The connection goes to node:http once its queued answers are written. */
  private leaving = false;
  /** The connection ends once its queued answers are written. */
  private closing = false;
  /** The client has ended its side (the server is allowHalfOpen): end ours once all is answered. */
  private ended = false;
  private answered = false;
  /** `lane.tick` when the connection last read a request or wrote an answer. */
  private active: number;
  /** The Authorization value of the last request (checked once, see `parseRequest`). */
  private authorization: string | undefined;
  private readonly onData = (chunk: Buffer) => this.read(chunk);
  private readonly onError = () => this.socket.destroy();
  private readonly onClose = () => this.lane.forget(this);
  private readonly onEnd = () => {
    this.ended = true;
    this.endIfDone();
  };
  private readonly onDrain = () => {
    if (this.queued === 0) this.serveAll();
    else this.flow();
  };

  constructor(
    private readonly lane: FastLane,
    private readonly socket: Socket,
  ) {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('end', this.onEnd);
    socket.on('drain', this.onDrain);
    this.active = lane.tick;
  }

  private read(chunk: Buffer): void {
    this.active = this.lane.tick;
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.serveAll();
  }

  /**
   * Answers the requests read, in order, until one must wait for the upstream, the answers
   * back up, or a request must go to node:http; then sets the flow (`flow`).
   */
  private serveAll(): void {
    while (this.pending !== undefined && !this.busy && !this.leaving && !this.closing && !this.backedUp()) {
      const req = parseRequest(this.pending, this.lane.opts.maxBodyBytes, this.authorization);
      const reply = req === undefined ? undefined : this.lane.opts.serve(req);
      if (req === undefined || reply === undefined) return this.leave();
      this.pending = req.end < this.pending.length ? this.pending.subarray(req.end) : undefined;
      this.authorization = req.authorization;
      this.answered = true;
      if (reply instanceof Promise) {
        this.busy = true;
        reply.then(
          (r) => {
            this.busy = false;
            this.send(r);
            this.serveAll();
          },
          () => this.socket.destroy(),
        );
      } else this.send(reply);
    }
    this.flow();
  }

  /** Answers queued or unwritten past the bound: no more requests are answered until they drain. */
  private backedUp(): boolean {
    return this.queuedBytes > OUTPUT_MAX || this.socket.writableNeedDrain;
  }

  /**
   * Flow control, as node:http does it: a client that sends requests faster than it reads
   * the answers, or keeps sending while one waits for the upstream, is not read from until
   * the answers have drained and the wait is over, so neither the answers nor the requests
   * read ahead are held in memory without bound.
   */
  private flow(): void {
    const stop = this.backedUp() || (this.pending !== undefined && this.pending.length > PENDING_MAX);
    if (stop === this.socket.isPaused()) return;
    if (stop) this.socket.pause();
    else this.socket.resume();
  }

  private send(reply: Reply): void {
    if (this.lane.draining) this.closing = true;
    const text = serializeReply(reply, this.closing ? this.lane.closeHeaders : this.lane.keepAliveHeaders);
    // An ASCII answer stays text, written as Latin-1; any other is encoded now.
    const payload = reply.ascii === true ? text : Buffer.from(text, 'utf8');
    this.queued++;
    this.queuedBytes += payload.length;
    endSoon(this, payload);
  }

  /** Writes one answer (called by the end-of-turn batch): text is ASCII (see `send`). */
  end(payload: string | Buffer): void {
    this.queued--;
    this.queuedBytes -= payload.length;
    this.active = this.lane.tick;
    if (typeof payload === 'string') this.socket.write(payload, 'latin1');
    else this.socket.write(payload);
    if (this.queued > 0 || this.busy) return this.flow();
    if (this.closing) this.socket.end();
    else if (this.leaving) this.handOver();
    else {
      // Requests held back while the answers backed up (answered only now that the earlier
      // answers are written, so a nested flush cannot put a later one before them).
      this.serveAll();
      this.endIfDone();
    }
  }

  private endIfDone(): void {
    if (this.ended && !this.busy && this.queued === 0 && !this.leaving && this.pending === undefined)
      this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** To node:http: at once, or once the answers already queued are written (order on the wire). */
  private leave(): void {
    this.leaving = true;
    if (this.queued === 0) this.handOver();
  }

  private handOver(): void {
    const { socket } = this;
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('drain', this.onDrain);
    if (socket.isPaused()) socket.resume();
    this.lane.handOver(this, socket, this.pending);
    this.pending = undefined;
  }

  /**
   * Closes the connection if it has been quiet past its limit: node:http's keepAliveTimeout
   * between requests, its headersTimeout before the first (answered with 408, as node:http
   * answers). A connection waiting for its answer is not quiet.
   */
  expire(tick: number, sweepMs: number): void {
    if (this.busy || this.queued > 0) return;
    const limit = this.answered ? this.lane.opts.keepAliveMs : this.lane.opts.headersTimeoutMs;
    // Quiet for at least (tick - active - 1) whole sweeps: closed within one sweep after the limit.
    if ((tick - this.active - 1) * sweepMs < limit) return;
    if (!this.answered) this.socket.write('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    this.socket.destroy();
  }

  closeIfIdle(): void {
    if (this.busy || this.queued > 0 || this.pending !== undefined) this.closing = true;
    else this.socket.destroy();
  }
}
