import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error';

/**
 * Every named `@Query()` parameter is one string or absent. Express parses `?a=1&a=2` into an
 * array, which would otherwise reach the handlers (and the database) as a value of the wrong
 * type: a parameter given more than once is a 400 naming it, never picked silently.
 * Registered globally in app.ts; it runs after the guards, so a refused caller still gets 401/403.
 */
export class QueryValuePipe implements PipeTransform<unknown, unknown> {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'query' || metadata.data === undefined) return value;
    if (value === undefined || typeof value === 'string') return value;
    const name = metadata.data;
    throw new ApiError('invalid_request', `${name} must be given once, as a single value`, name);
  }
}
