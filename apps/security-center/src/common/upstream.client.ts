import { Inject, Injectable } from '@nestjs/common';
import { compile, type Validator } from '@ksn/contracts';
import { BodyTooLargeError, readCapped } from '@ksn/service-kit';
import type { Static, TSchema } from '@sinclair/typebox';
import { CONFIG, type Config } from '../config';
import { ApiError } from './api-error';

/**
 * Largest upstream answer read (the category tree is the largest: tens of KB). The cloud is
 * not trusted for size: past the bound the read stops and the answer is 502.
 */
export const UPSTREAM_ANSWER_MAX_BYTES = 16 * 1024 * 1024;

/** GET requests to the upstream cloud (categories, file details), validated against the contracts. */
@Injectable()
export class UpstreamClient {
  private readonly validators = new Map<TSchema, Validator<TSchema>>();

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /** The body, or undefined on 404; 502 `upstream_error` / 504 `upstream_timeout` otherwise. */
  async get<T extends TSchema>(path: string, schema: T): Promise<Static<T> | undefined> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.KSN_UPSTREAM_API_KEY !== '')
      headers['authorization'] = `Bearer ${this.config.KSN_UPSTREAM_API_KEY}`;
    let res: Response;
    try {
      res = await fetch(this.config.KSN_UPSTREAM_URL + path, {
        headers,
        signal: AbortSignal.timeout(this.config.UPSTREAM_TIMEOUT_MS),
      });
    } catch (e) {
      if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
        throw new ApiError('upstream_timeout', 'the upstream did not answer in time');
      throw new ApiError('upstream_error', 'the upstream is unreachable');
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ApiError('upstream_error', `the upstream answered ${res.status}`);
    }
    let body: unknown;
    try {
      body = res.body ? JSON.parse(await readCapped(res.body, UPSTREAM_ANSWER_MAX_BYTES)) : undefined;
    } catch (e) {
      if (e instanceof BodyTooLargeError)
        throw new ApiError('upstream_error', `the upstream answered more than ${e.limit} bytes`);
      if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
        throw new ApiError('upstream_timeout', 'the upstream did not answer in time');
      throw new ApiError('upstream_error', 'the upstream sent invalid JSON');
    }
    let validator = this.validators.get(schema);
    if (!validator) {
      validator = compile(schema);
      this.validators.set(schema, validator);
    }
    const checked = validator.validate(body);
    if (!checked.ok)
      throw new ApiError(
        'upstream_error',
        `the upstream answer does not match the protocol (${checked.field || 'body'} ${checked.message})`,
      );
    return checked.value as Static<T>;
  }
}
