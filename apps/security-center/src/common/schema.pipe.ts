import type { PipeTransform } from '@nestjs/common';
import { compile, type Validator } from '@ksn/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import { ApiError } from './api-error';

/** Validates a body or query against a contracts schema; 400 names the field and the reason. */
export class SchemaPipe<T extends TSchema> implements PipeTransform<unknown, Static<T>> {
  private readonly validator: Validator<T>;
  constructor(schema: T) {
    this.validator = compile(schema);
  }
  transform(value: unknown): Static<T> {
    const result = this.validator.validate(value);
    if (result.ok) return result.value;
    throw new ApiError('invalid_request', `${result.field || 'body'} ${result.message}`, result.field);
  }
}
