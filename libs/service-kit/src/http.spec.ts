import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { BodyTooLargeError, END_BATCH_HOLD_MS, END_BATCH_MAX, endSoon, readCapped, sendJson } from './http';

/** A real server on port 0 whose answer each test sets; `closed` resolves when the client hangs up. */
let server: Server;
let answer: (res: ServerResponse) => void;
let closed: Promise<void>;

beforeAll(async () => {
  server = createServer((_req, res) => {
    closed = new Promise((resolve) => res.once('close', () => resolve()));
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function fetchBody(): Promise<IncomingMessage> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) =>
    get({ host: '127.0.0.1', port, path: '/', agent: false }, resolve).on('error', reject),
  );
}

describe('readCapped', () => {
  it('returns a body within the limit as UTF-8, across chunks', async () => {
    answer = (res) => {
      res.write('{"a":"é');
      setTimeout(() => res.end('"}'), 10);
    };
    await expect(readCapped(await fetchBody(), 1024)).resolves.toBe('{"a":"é"}');
  });

  it('accepts a body of exactly the limit', async () => {
    answer = (res) => res.end('x'.repeat(100));
    await expect(readCapped(await fetchBody(), 100)).resolves.toHaveLength(100);
  });

  it('rejects a body one byte over the limit', async () => {
    answer = (res) => res.end('x'.repeat(101));
    await expect(readCapped(await fetchBody(), 100)).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it('stops reading an endless body at the limit and hangs up', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let sent = 0;
    answer = (res) => {
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const error = await readCapped(await fetchBody(), 64 * 1024).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect((error as BodyTooLargeError).limit).toBe(64 * 1024);
    // The server sees the connection closed: the reader neither waits for an end nor keeps buffering.
    await closed;
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('endSoon', () => {
  /** Requests held by the server until the test answers them (all in one turn of the event loop). */
  let held: { url: string; res: ServerResponse }[] = [];
  let arrived: (() => void) | undefined;
  let want = 0;
  let holder: Server;
  let port: number;

  beforeAll(async () => {
    holder = createServer((req, res) => {
      held.push({ url: req.url ?? '', res });
      if (held.length === want) arrived?.();
    });
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as AddressInfo).port;
  });

  afterAll(async () => {
    holder.closeAllConnections();
    await new Promise((resolve) => holder.close(resolve));
  });

  /** Sends n requests on separate connections; resolves once the server holds all n, with their bodies' promises. */
  async function hold(n: number): Promise<Promise<string>[]> {
    held = [];
    want = n;
    const all = new Promise<void>((resolve) => (arrived = resolve));
    const bodies = Array.from(
      { length: n },
      (_, i) =>
        new Promise<string>((resolve, reject) =>
          get({ host: '127.0.0.1', port, path: `/${i}`, agent: false }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve(text));
          }).on('error', reject),
        ),
    );
    await all;
    return bodies;
  }

  it('ends answers together after the current turn, each with its own payload', async () => {
    const bodies = await hold(3);
    for (const { url, res } of held) sendJson(res, 200, { url });
    // Headers are set (status, length) but nothing is ended before the turn is over.
    expect(held.map(({ res }) => [res.headersSent, res.writableEnded])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.every(({ res }) => res.writableEnded)).toBe(true);
    const answers = (await Promise.all(bodies)).map((b) => JSON.parse(b) as { url: string });
    expect(answers.map((a) => a.url).sort()).toEqual(['/0', '/1', '/2']);
  });

  it(`flushes at once when ${END_BATCH_MAX} answers are waiting`, async () => {
    const bodies = await hold(END_BATCH_MAX + 1);
    for (const { url, res } of held) endSoon(res, url);
    expect(held.slice(0, END_BATCH_MAX).every(({ res }) => res.writableEnded)).toBe(true);
    expect(held[END_BATCH_MAX]!.res.writableEnded).toBe(false);
    expect(await Promise.all(bodies)).toEqual(held.map(({ url }) => url));
  });

  it(`does not hold the first answer longer than ${END_BATCH_HOLD_MS} ms of work on the others`, async () => {
    const bodies = await hold(2);
    endSoon(held[0]!.res, 'first');
    const until = performance.now() + END_BATCH_HOLD_MS + 1;
    while (performance.now() < until); // a long computation of the second answer
    endSoon(held[1]!.res, 'second');
    expect(held.map(({ res }) => res.writableEnded)).toEqual([true, true]);
    expect(await Promise.all(bodies)).toEqual(['first', 'second']);
  });

  it('answers pipelined requests on one connection in order', async () => {
    const order = createServer((req, res) => endSoon(res, `${req.url}\n`));
    await new Promise<void>((resolve) => order.listen(0, '127.0.0.1', resolve));
    const socket = connect((order.address() as AddressInfo).port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (received += c));
    const paths = ['/a', '/b', '/c', '/d'];
    socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (received.split('\r\n\r\n').length > paths.length) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
    socket.destroy();
    order.closeAllConnections();
    await new Promise((resolve) => order.close(resolve));
    const answered = received
      .split('HTTP/1.1 200 OK')
      .slice(1)
      .map((r) => r.split('\r\n\r\n')[1]!.trim());
    expect(answered).toEqual(['/a', '/b', '/c', '/d']);
  });
});
