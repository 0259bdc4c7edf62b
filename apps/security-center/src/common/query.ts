import { isInstant } from '@ksn/contracts';
import { ApiError } from './api-error';

export interface Paging {
  limit: number;
  offset: number;
}

/** `?limit=` (1..1000, default 100) and `?offset=` (≥ 0); a bad value is a 400 naming it. */
export function paging(limit: string | undefined, offset: string | undefined, maxLimit = 1000): Paging {
  return {
    limit: intParam('limit', limit, 100, 1, maxLimit),
    offset: intParam('offset', offset, 0, 0, 10_000_000),
  };
}

export function intParam(
  name: string,
  raw: string | undefined,
  dflt: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ApiError('invalid_request', `${name} must be a whole number from ${min} to ${max}`, name);
  }
  return Number(raw);
}

export function boolParam(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ApiError('invalid_request', `${name} must be true or false`, name);
}

/** An ISO-8601 UTC instant, normalised to `toISOString()` form so it compares as text. */
export function instantParam(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = Date.parse(raw);
  if (!isInstant(raw))
    throw new ApiError(
      'invalid_request',
      `${name} must be an ISO-8601 UTC instant such as 2026-01-31T12:00:00Z`,
      name,
    );
  return new Date(t).toISOString();
}

export function stringParam(name: string, raw: string | undefined, max = 200): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > max)
    throw new ApiError('invalid_request', `${name} is longer than ${max} characters`, name);
  return raw;
}

/** 404 unless found. */
export function found<T>(value: T | null | undefined, what: string, field?: string): T {
  if (value === null || value === undefined) throw new ApiError('not_found', `${what} not found`, field);
  return value;
}
