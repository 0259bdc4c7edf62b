import type { ValidationFailure } from '@ksn/contracts';
import { HttpError } from '@ksn/service-kit';
import type { ServerResponse } from 'node:http';

/** What a route handler answers; the server writes it (slowly, when the slow-body fault is on). */
export interface Reply {
  status: number;
  /** Serialised as JSON, unless `raw` is given. */
  body?: unknown;
  /** A body already serialised, with its content type. */
  raw?: { text: string | Buffer; contentType: string };
  headers?: Record<string, string>;
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): Reply => ({
  status,
  body,
  ...(headers && { headers }),
});

/** 400 for a schema failure, naming the field (none when the body itself is wrong). */
export function invalidRequest(failure: ValidationFailure): HttpError {
  return new HttpError(
    'invalid_request',
    `${failure.field || 'body'} ${failure.message}`,
    failure.field || undefined,
  );
}

export function errorReply(err: HttpError): Reply {
  return json(
    { error: err.code, message: err.message, ...(err.field !== undefined && { field: err.field }) },
    err.status,
    err.headers,
  );
}

/**
 * Writes a reply. With `bytesPerSecond` > 0 the body goes out in small chunks
 * at that rate (the slow-response fault); the promise settles when the body
 * is out or the client has gone.
 */
export async function send(res: ServerResponse, reply: Reply, bytesPerSecond = 0): Promise<void> {
  const payload = reply.raw ? Buffer.from(reply.raw.text) : Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    'content-type': reply.raw?.contentType ?? 'application/json; charset=utf-8',
    'content-length': payload.length,
    'cache-control': 'no-store',
    ...reply.headers,
  });
  if (bytesPerSecond <= 0) {
    res.end(payload);
    return;
  }
  // About 20 writes a second, fewer when the rate is under 20 bytes a second.
  const chunk = Math.max(1, Math.ceil(bytesPerSecond / 20));
  const tickMs = (chunk * 1000) / bytesPerSecond;
  await new Promise<void>((resolve) => {
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return finish();
      const end = Math.min(payload.length, offset + chunk);
      res.write(payload.subarray(offset, end));
      offset = end;
      if (offset >= payload.length) finish();
    }, tickMs);
    const finish = () => {
      clearInterval(timer);
      res.off('close', finish);
      if (!res.destroyed && !res.writableEnded) res.end();
      resolve();
    };
    res.on('close', finish);
  });
}
