/**
 * The fast lane (fast-lane.ts): lookups answered off the socket must be the answers
 * node:http gives, in order on a connection, and every request outside the lane's subset
 * must reach node:http with the connection intact.
 */
import { listen, serverUrl } from '@ksn/service-kit';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EICAR, startRig, until, type Rig } from '../test/adversarial/harness';
import { FastLane, parseRequest } from './fast-lane';

jest.setTimeout(30_000);

const CRLF = '\r\n';
const KNOWN = 'a'.repeat(64);
/** A file whose category the upstream writes outside ASCII. */
const WIDE = 'c'.repeat(64);

interface Answer {
  status: number;
  /** Header lines as sent, lower-cased names, without Date / Connection / Keep-Alive. */
  headers: string[];
  connection: string;
  body: string;
}

/** A raw keep-alive client: writes bytes, reads whole answers (Content-Length framed). */
class Client {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, c]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(url: string): Promise<Client> {
    const u = new URL(url);
    return new Promise((resolve) => {
      const socket = connect(Number(u.port), u.hostname, () => resolve(new Client(socket)));
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: string): void {
    this.socket.write(bytes);
  }

  /** The next whole answer, or undefined if the connection closes first. */
  async next(): Promise<Answer | undefined> {
    for (;;) {
      const text = this.buffered.toString('latin1');
      const headEnd = text.indexOf(CRLF + CRLF);
      if (headEnd >= 0) {
        const lines = text.slice(0, headEnd).split(CRLF);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, headEnd + 2))?.[1] ?? 0);
        if (this.buffered.length >= headEnd + 4 + length) {
          this.buffered = this.buffered.subarray(headEnd + 4 + length);
          const all = lines.slice(1).map((l) => l.replace(/^[^:]+/, (n) => n.toLowerCase()));
          return {
            status: Number(lines[0]!.split(' ')[1]),
            headers: all.filter((l) => !/^(date|connection|keep-alive):/.test(l)),
            connection: all.find((l) => l.startsWith('connection:')) ?? '',
            body: Buffer.from(text.slice(headEnd + 4, headEnd + 4 + length), 'latin1').toString('utf8'),
          };
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Ends the client's side (half-close): the server may still answer. */
  endWriting(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('fast lane: parseRequest', () => {
  const get = (lines: string[], target = `/v1/files/${KNOWN}`) =>
    Buffer.from([`GET ${target} HTTP/1.1`, ...lines].join(CRLF) + CRLF + CRLF);

  it('takes a plain GET and a whole POST, with the fields the routes need', () => {
    const g = parseRequest(get(['Host: p', 'Authorization: Bearer t', 'Connection: Keep-Alive']), 1024);
    expect(g).toMatchObject({ method: 'GET', authorization: 'Bearer t' });
    expect(g?.body).toHaveLength(0);
    const body = '{"a":"é"}';
    const post = Buffer.from(
      `POST /v1/lookup HTTP/1.1\r\nHost: p\r\nContent-Type:  application/json \r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}GET`,
    );
    const p = parseRequest(post, 1024);
    expect(p).toMatchObject({ method: 'POST', contentType: 'application/json' });
    expect(p?.body.toString()).toBe(body);
    expect(p?.end).toBe(post.length - 3);
  });

  it.each([
    ['no Host', get(['Authorization: Bearer t'])],
    ['two Hosts', get(['Host: p', 'Host: q'])],
    ['two Authorizations', get(['Host: p', 'Authorization: a', 'Authorization: b'])],
    ['a body on a GET', get(['Host: p', 'Content-Length: 0'])],
    ['Transfer-Encoding', get(['Host: p', 'Transfer-Encoding: chunked'])],
    ['Expect', get(['Host: p', 'Expect: 100-continue'])],
    ['Upgrade', get(['Host: p', 'Upgrade: h2c'])],
    ['Connection: close', get(['Host: p', 'Connection: close'])],
    ['obs-fold', get(['Host: p', 'X-A: b', ' c'])],
    ['space before a colon', get(['Host: p', 'X-A : b'])],
    ['a control character in a value', get(['Host: p', 'X-A: b\u0001'])],
    ['a non-ASCII value', get(['Host: p', 'X-A: \u00e9'])],
    ['a line without a colon', get(['Host: p', 'X-A'])],
    ['65 headers', get(['Host: p', ...Array.from({ length: 64 }, (_, i) => `X-${i}: v`)])],
    ['HTTP/1.0', Buffer.from(`GET /v1/files/${KNOWN} HTTP/1.0\r\nHost: p\r\n\r\n`)],
    ['HEAD', Buffer.from(`HEAD /v1/files/${KNOWN} HTTP/1.1\r\nHost: p\r\n\r\n`)],
    ['absolute-form', get(['Host: p'], `http://example.com/v1/files/${KNOWN}`)],
    ['a //host target', get(['Host: p'], `//example.com/v1/files/${KNOWN}`)],
    ['a fragment', get(['Host: p'], `/v1/files/${KNOWN}#x`)],
    ['a bare LF', Buffer.from(`GET /v1/files/${KNOWN} HTTP/1.1\r\nHost: p\nX-A: b\r\n\r\n`)],
    ['an unfinished head', Buffer.from(`GET /v1/files/${KNOWN} HTTP/1.1\r\nHost: p\r\n`)],
    ['a POST without Content-Length', Buffer.from('POST /v1/lookup HTTP/1.1\r\nHost: p\r\n\r\n{}')],
    [
      'a POST body not all read',
      Buffer.from('POST /v1/lookup HTTP/1.1\r\nHost: p\r\nContent-Length: 3\r\n\r\n{}'),
    ],
    [
      'a POST over the body limit',
      Buffer.from('POST /v1/lookup HTTP/1.1\r\nHost: p\r\nContent-Length: 2000\r\n\r\n{}'),
    ],
    [
      'a signed Content-Length',
      Buffer.from('POST /v1/lookup HTTP/1.1\r\nHost: p\r\nContent-Length: +2\r\n\r\n{}'),
    ],
    [
      'two Content-Lengths',
      Buffer.from('POST /v1/lookup HTTP/1.1\r\nHost: p\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}'),
    ],
    ['a head over 8 KiB', get(['Host: p', `X-A: ${'b'.repeat(8200)}`])],
  ])('leaves to node:http: %s', (_name, bytes) => {
    expect(parseRequest(bytes, 1024)).toBeUndefined();
  });
});

describe('fast lane: on a running proxy', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ HEADERS_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await rig.close();
  });

  const getFile = (hash: string, extra: string[] = [], query = '') =>
    [
      `GET /v1/files/${hash}${query} HTTP/1.1`,
      'Host: proxy',
      `Authorization: Bearer ${rig.token}`,
      ...extra,
    ].join(CRLF) +
    CRLF +
    CRLF;
  const postLookup = (body: string, extra: string[] = [], type = 'application/json') =>
    [
      'POST /v1/lookup HTTP/1.1',
      'Host: proxy',
      `Authorization: Bearer ${rig.token}`,
      `Content-Type: ${type}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...extra,
    ].join(CRLF) +
    CRLF +
    CRLF +
    body;
  const items = (...hashes: string[]) =>
    JSON.stringify({
      module: 'file-threat-protection',
      items: hashes.map((sha256) => ({ type: 'file', sha256 })),
    });

  /** One request in the lane (keep-alive) and the same on node:http (`Connection: close` sends it there). */
  async function bothLanes(build: (extra: string[]) => string): Promise<[Answer, Answer]> {
    const fast = await Client.open(rig.proxy.endpointUrl);
    fast.write(build([]));
    const a = (await fast.next())!;
    expect(rig.proxy.fastLane!.size).toBeGreaterThanOrEqual(1);
    fast.close();
    const slow = await Client.open(rig.proxy.endpointUrl);
    slow.write(build(['Connection: close']));
    const b = (await slow.next())!;
    slow.close();
    return [a, b];
  }

  it('gives the answers node:http gives: status, headers and body, hits and refusals alike', async () => {
    // Warm the keys so that both lanes answer from the cache.
    rig.up.verdicts.set(`sha256:${WIDE}`, { verdict: 'clean', category: 'Игры/Jeux "é"' });
    const warm = await Client.open(rig.proxy.endpointUrl);
    warm.write(postLookup(items(EICAR, KNOWN, WIDE)));
    expect((await warm.next())!.status).toBe(200);
    warm.close();
    const cases: [string, (extra: string[]) => string, number][] = [
      ['a cached file', (x) => getFile(EICAR, x), 200],
      ['a module given', (x) => getFile(KNOWN, x, '?module=web-threat-protection'), 200],
      ['a batch', (x) => postLookup(items(KNOWN, EICAR), x), 200],
      ['a category outside ASCII', (x) => postLookup(items(WIDE, KNOWN), x), 200],
      [
        'an error naming a field outside ASCII',
        (x) => postLookup(`{"module":"file-threat-protection","items":[{"type":"file","é":1}]}`, x),
        400,
      ],
      ['a hash that is not hex', (x) => getFile('zz', x), 400],
      ['an unknown module', (x) => getFile(KNOWN, x, '?module=nope'), 400],
      ['no token', (x) => getFile(KNOWN, x).replace(/Authorization: [^\r]*\r\n/, ''), 401],
      ['a forged token', (x) => getFile(KNOWN, x).replace(rig.token, `${rig.token.slice(0, -4)}AAAA`), 401],
      ['a body that is not JSON', (x) => postLookup('{"module":', x), 400],
      ['another media type', (x) => postLookup(items(KNOWN), x, 'text/plain'), 415],
      [
        'an item without a hash',
        (x) => postLookup('{"module":"file-threat-protection","items":[{"type":"file"}]}', x),
        400,
      ],
      [
        'the upstream protocol from an endpoint',
        (x) => postLookup(JSON.stringify({ keys: [`sha256:${KNOWN}`] }), x),
        403,
      ],
    ];
    const answers = new Map<string, Answer>();
    for (const [name, build, status] of cases) {
      const [fast, slow] = await bothLanes(build);
      expect({ name, ...fast }).toEqual({ name, ...slow, connection: 'connection: keep-alive' });
      expect({ name, status: fast.status }).toEqual({ name, status });
      answers.set(name, fast);
    }
    // Lookup answers are ASCII, characters past it escaped; other answers are UTF-8.
    const wide = answers.get('a category outside ASCII')!.body;
    expect(wide).toMatch(/^[\x20-\x7e]*$/);
    expect((JSON.parse(wide) as { results: { category?: string }[] }).results[0]!.category).toBe(
      'Игры/Jeux "é"',
    );
    expect(answers.get('an error naming a field outside ASCII')!.body).toContain('items[0].é');
  });

  it('answers pipelined requests in order, across the move of the connection to node:http', async () => {
    // Earlier tests' connections are closed by their clients: none is left in the lane
    // (well before the 5 s keep-alive limit would close them).
    await until(() => rig.proxy.fastLane!.size === 0, 2000);
    const c = await Client.open(rig.proxy.endpointUrl);
    const policy =
      ['GET /v1/policy HTTP/1.1', 'Host: proxy', `Authorization: Bearer ${rig.token}`].join(CRLF) +
      CRLF +
      CRLF;
    c.write(getFile(EICAR) + getFile(KNOWN) + policy + getFile(EICAR) + getFile('zz'));
    const answers = [await c.next(), await c.next(), await c.next(), await c.next(), await c.next()];
    expect(answers.map((a) => a?.status)).toEqual([200, 200, 200, 200, 400]);
    expect(JSON.parse(answers[0]!.body)).toMatchObject({ key: `sha256:${EICAR}`, verdict: 'malicious' });
    expect(JSON.parse(answers[1]!.body)).toMatchObject({ key: `sha256:${KNOWN}` });
    expect(JSON.parse(answers[2]!.body)).toHaveProperty('policy');
    expect(JSON.parse(answers[3]!.body)).toMatchObject({ key: `sha256:${EICAR}` });
    // The policy request moved the connection to node:http; it stays open there.
    expect(rig.proxy.fastLane!.size).toBe(0);
    c.write(getFile(KNOWN));
    expect((await c.next())?.status).toBe(200);
    c.close();
  });

  it('answers a miss in the lane, and holds the next request on the connection until it is answered', async () => {
    const miss = 'b'.repeat(64);
    rig.up.behaviour = { kind: 'slow', delayMs: 100 };
    const asked = rig.up.lookups.length;
    await until(() => rig.proxy.fastLane!.size === 0);
    const c = await Client.open(rig.proxy.endpointUrl);
    try {
      c.write(postLookup(items(miss)) + getFile(EICAR));
      const first = await c.next();
      const second = await c.next();
      expect(first?.status).toBe(200);
      expect(JSON.parse(first!.body)).toMatchObject({
        results: [{ key: `sha256:${miss}`, source: 'upstream' }],
      });
      expect(JSON.parse(second!.body)).toMatchObject({ key: `sha256:${EICAR}`, source: 'cache' });
      expect(rig.up.lookups.length).toBe(asked + 1);
      expect(rig.proxy.fastLane!.size).toBe(1);
    } finally {
      rig.up.behaviour = { kind: 'ok' };
      c.close();
    }
  });

  it('answers a client that ends its side after its requests, then ends the connection', async () => {
    await until(() => rig.proxy.fastLane!.size === 0, 2000);
    const c = await Client.open(rig.proxy.endpointUrl);
    c.write(getFile(EICAR) + getFile(KNOWN));
    c.endWriting();
    expect((await c.next())?.status).toBe(200);
    expect((await c.next())?.status).toBe(200);
    await until(() => c.closed, 2000);
    await until(() => rig.proxy.fastLane!.size === 0, 2000);
  });

  it('moves a request that arrives in pieces to node:http, which answers it', async () => {
    const c = await Client.open(rig.proxy.endpointUrl);
    const body = items(EICAR);
    const whole = postLookup(body);
    c.write(whole.slice(0, whole.length - 10));
    await new Promise((r) => setTimeout(r, 30));
    c.write(whole.slice(whole.length - 10));
    const a = await c.next();
    expect(a?.status).toBe(200);
    expect(JSON.parse(a!.body)).toMatchObject({ results: [{ key: `sha256:${EICAR}` }] });
    c.close();
  });

  it("keeps node:http's header timeout on a connection it moved: a slow head after a fast answer gets 408", async () => {
    const c = await Client.open(rig.proxy.endpointUrl);
    c.write(getFile(EICAR));
    expect((await c.next())?.status).toBe(200);
    const t0 = Date.now();
    c.write('GET /v1/files/');
    const late = await c.next();
    expect(late?.status).toBe(408);
    await until(() => c.closed, 3000);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('answers 408 to a connection that sends nothing within the header timeout, and closes it', async () => {
    const c = await Client.open(rig.proxy.endpointUrl);
    const t0 = Date.now();
    const a = await c.next();
    expect(a?.status).toBe(408);
    await until(() => c.closed, 3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
  });

  it('counts its answers in the request metrics', async () => {
    const count = async () => {
      const text = await (await fetch(`${rig.proxy.adminUrl}/metrics`)).text();
      return Number(/ksn_proxy_requests_total\{route="file",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await count();
    const c = await Client.open(rig.proxy.endpointUrl);
    c.write(getFile(EICAR) + getFile(EICAR) + getFile(EICAR));
    for (let i = 0; i < 3; i++) expect((await c.next())?.status).toBe(200);
    c.close();
    expect(await count()).toBe(before + 3);
  });
});

describe('fast lane: stopping', () => {
  it('closes idle lane connections on close(), and an answer given while stopping says Connection: close', async () => {
    const rig = await startRig();
    const c = await Client.open(rig.proxy.endpointUrl);
    const idle = await Client.open(rig.proxy.endpointUrl);
    const req =
      [`GET /v1/files/${EICAR} HTTP/1.1`, 'Host: proxy', `Authorization: Bearer ${rig.token}`].join(CRLF) +
      CRLF +
      CRLF;
    idle.write(req);
    expect((await idle.next())?.status).toBe(200);
    rig.up.behaviour = { kind: 'slow', delayMs: 200 };
    c.write(req.replace(EICAR, 'd'.repeat(64)));
    await until(() => rig.up.requests.length > 0);
    const t0 = Date.now();
    const closing = rig.close();
    const a = await c.next();
    expect(a?.status).toBe(200);
    expect(a?.connection).toBe('connection: close');
    await closing;
    expect(idle.closed && c.closed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('is off with FAST_LANE=off: node:http answers everything', async () => {
    const rig = await startRig({ FAST_LANE: 'off' });
    try {
      expect(rig.proxy.fastLane).toBeUndefined();
      const c = await Client.open(rig.proxy.endpointUrl);
      c.write(
        [`GET /v1/files/${EICAR} HTTP/1.1`, 'Host: proxy', `Authorization: Bearer ${rig.token}`].join(CRLF) +
          CRLF +
          CRLF,
      );
      expect((await c.next())?.status).toBe(200);
      c.close();
    } finally {
      await rig.close();
    }
  });
});

describe('fast lane: flow control', () => {
  it('stops reading a client that does not read its answers, and answers everything once it does', async () => {
    const server = createServer(() => undefined);
    let served = 0;
    const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    const lane = new FastLane(server, {
      serve: () => {
        served++;
        return { status: 200, body: big };
      },
      maxBodyBytes: 1024,
      keepAliveMs: 5000,
      headersTimeoutMs: 5000,
    });
    await listen(server, 0, '127.0.0.1');
    const u = new URL(serverUrl(server));
    const requests = 150;
    const socket = connect(Number(u.port), u.hostname);
    try {
      await new Promise((r) => socket.once('connect', r));
      socket.pause();
      socket.write(`GET /x HTTP/1.1\r\nHost: a\r\n\r\n`.repeat(requests));
      // 150 MB of answers: without flow control all 150 are made and held at once. With it the
      // lane stops once the socket buffers (some tens of MB on loopback) are full.
      await new Promise((r) => setTimeout(r, 1500));
      expect(served).toBeLessThan(requests * 0.6);
      let bytes = 0;
      socket.on('data', (c: Buffer) => (bytes += c.length));
      socket.resume();
      await until(() => served === requests && bytes >= requests * big.length, 20_000);
    } finally {
      socket.destroy();
      lane.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
