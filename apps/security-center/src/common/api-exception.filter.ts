import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ErrorCode } from '@ksn/contracts';
import type { Response } from 'express';
import { ApiError } from './api-error';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Every error leaves as `{error, message, field?}` with the status of its code. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.toBody(err);
    if (status >= 500) this.log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    if (res.headersSent) return;
    if (err instanceof ApiError && err.headers !== undefined) res.set(err.headers);
    res.status(status).json(body);
  }

  private toBody(err: unknown): { status: number; body: Record<string, string> } {
    if (err instanceof ApiError) {
      const body: Record<string, string> = { error: err.code, message: err.message };
      if (err.field !== undefined) body['field'] = err.field;
      return { status: err.status, body };
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      return { status, body: { error: BY_STATUS[status] ?? 'internal_error', message: err.message } };
    }
    // body-parser errors carry a status: malformed JSON, too large, bad charset.
    const s = (err as { status?: number; type?: string }).status;
    if (s === 400)
      return { status: 400, body: { error: 'invalid_request', message: 'body is not valid JSON' } };
    if (s === 413)
      return { status: 413, body: { error: 'payload_too_large', message: 'request body too large' } };
    if (s === 415)
      return { status: 415, body: { error: 'unsupported_media_type', message: 'unsupported body encoding' } };
    if (isDatabaseUnavailable(err))
      return { status: 503, body: { error: 'unavailable', message: 'database unavailable, try again' } };
    return { status: 500, body: { error: 'internal_error', message: 'internal error' } };
  }
}

function isDatabaseUnavailable(err: unknown): boolean {
  const code =
    (err as { code?: string; driverError?: { code?: string } }).code ??
    (err as { driverError?: { code?: string } }).driverError?.code;
  return (
    code !== undefined &&
    [
      'ECONNREFUSED',
      'PROTOCOL_CONNECTION_LOST',
      'ETIMEDOUT',
      'ER_CON_COUNT_ERROR',
      'POOL_ENQUEUELIMIT',
      'SQLITE_BUSY',
      'EHOSTUNREACH',
    ].includes(code)
  );
}
