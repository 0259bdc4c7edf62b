import { CliError } from './errors';

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  timeoutMs: number;
}

/**
 * One JSON request with Node's fetch. Network failures and time-outs become CliErrors
 * naming the URL; every HTTP status is returned to the caller, with the body parsed when
 * it is JSON.
 */
export async function requestJson(
  method: 'GET' | 'POST',
  url: string,
  opts: RequestOptions,
): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError')
      throw new CliError('timeout', `${method} ${url}: no answer within ${opts.timeoutMs} ms`);
    const why = err.cause?.code ?? err.cause?.message ?? err.message;
    throw new CliError('unreachable', `${method} ${url}: ${why}`);
  }
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new CliError('bad_response', `${method} ${url}: answered ${res.status} with malformed JSON`);
    }
  }
  return { status: res.status, body };
}

/** The `{error, message}` body of a failed request as a CliError. */
export function httpError(what: string, res: JsonResponse): CliError {
  const b = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as {
    error?: unknown;
    message?: unknown;
    field?: unknown;
  };
  const code = typeof b.error === 'string' ? b.error : undefined;
  const message =
    typeof b.message === 'string' ? b.message : typeof res.body === 'string' ? res.body.slice(0, 200) : '';
  const field = typeof b.field === 'string' ? ` (field ${b.field})` : '';
  return new CliError(
    'http',
    `${what}: ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}${field}`,
    { status: res.status, error: code },
  );
}
