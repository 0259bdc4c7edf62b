import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readCapped } from './http';

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
