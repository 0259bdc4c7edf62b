import { randomBytes } from 'node:crypto';

/** Small HTTP helpers for the specs: real requests to a real emulator on port 0. */
export interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    headers: res.headers,
    body: (type.includes('json') && text ? JSON.parse(text) : text) as T,
  };
}

export async function get<T = unknown>(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  return answer<T>(await fetch(`${base}${path}`, { headers }));
}

export async function post<T = unknown>(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  return answer<T>(
    await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export const sha256Key = (): string => `sha256:${randomHex(32)}`;
