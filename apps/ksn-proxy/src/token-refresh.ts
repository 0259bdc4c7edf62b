import { compile, TokenRefreshRequest, TokenResponse } from '@ksn/contracts';
import { BodyTooLargeError, HttpError, readCapped, readJson, sendJson } from '@ksn/service-kit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { SMALL_ANSWER_MAX_BYTES } from './upstream';

const validRequest = compile(TokenRefreshRequest);
const validResponse = compile(TokenResponse);

/**
 * POST /v1/token/refresh: the device's current token (in the body `{token}`, or
 * its Authorization header) is forwarded to security-center with this proxy's
 * API key; security-center's answer (200 TokenResponse, 401 invalid_token,
 * 403 device_revoked) is returned as is. The token is not verified here: one
 * just past expiry may still be renewable within security-center's grace period.
 */
export async function handleTokenRefresh(
  opts: { securityCenterUrl: string; apiKey: string; maxBodyBytes: number },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let token: string | undefined;
  if (req.headers['content-length'] !== '0' && req.headers['content-type'] !== undefined) {
    const parsed = validRequest.validate(await readJson(req, Math.min(opts.maxBodyBytes, 16 * 1024)));
    if (!parsed.ok)
      throw new HttpError(
        'invalid_request',
        `${parsed.field || 'body'} ${parsed.message}`,
        parsed.field || 'token',
      );
    token = parsed.value.token;
  } else {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) token = header.slice(7);
  }
  if (token === undefined)
    throw new HttpError(
      'unauthorized',
      'send the current device token as {"token": …} or Authorization: Bearer',
    );
  let status: number;
  let text: string;
  try {
    const up = await request(`${opts.securityCenterUrl}/api/v1/proxy/token-refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    status = up.statusCode;
    // A token answer is small: a larger one is refused, not buffered.
    text = await readCapped(up.body, SMALL_ANSWER_MAX_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLargeError)
      throw new HttpError('upstream_error', `security-center answered more than ${e.limit} bytes`);
    throw new HttpError('unavailable', 'security-center is unreachable; retry later', undefined, {
      'retry-after': '30',
    });
  }
  let body: unknown = {};
  try {
    body = JSON.parse(text);
  } catch {
    if (status < 500)
      throw new HttpError('upstream_error', `security-center answered ${status} without JSON`);
  }
  if (status === 200) {
    const parsed = validResponse.validate(body);
    if (!parsed.ok) throw new HttpError('upstream_error', 'security-center answered a malformed token');
    sendJson(res, 200, parsed.value);
  } else if (status === 401 || status === 403 || status === 400) {
    const e = body as { error?: unknown; message?: unknown };
    sendJson(res, status, {
      error: typeof e.error === 'string' ? e.error : 'invalid_token',
      message: typeof e.message === 'string' ? e.message : 'refused by security-center',
    });
  } else if (status >= 500) {
    throw new HttpError('unavailable', `security-center answered ${status}; retry later`, undefined, {
      'retry-after': '30',
    });
  } else {
    throw new HttpError('upstream_error', `security-center answered ${status}`);
  }
}
