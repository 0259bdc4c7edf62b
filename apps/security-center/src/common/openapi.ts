import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorBody } from '@ksn/contracts';
import type { TSchema } from '@sinclair/typebox';

export interface ApiDoc {
  summary: string;
  /** Request body schema (TypeBox: JSON Schema already). */
  body?: TSchema;
  /** Success body schema; omit for 204. */
  response?: TSchema;
  status?: number;
  query?: string[];
}

/**
 * TypeBox schemas are JSON Schema; the JSON round trip drops TypeBox's symbol keys.
 * Recursive schemas (the category tree) refer to themselves by `$id`, which OpenAPI
 * cannot resolve here, so those references become plain objects.
 */
export function openApiSchema(schema: TSchema): SchemaObject {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
    if (key === '$id') return undefined;
    if (value && typeof value === 'object' && '$ref' in value)
      return { type: 'object', description: 'recursive: same shape as its parent' };
    return value;
  }) as SchemaObject;
}

const ERROR = openApiSchema(ErrorBody);

/** Documents a route in the OpenAPI document from the same contracts schemas the server validates with. */
export function Api(doc: ApiDoc): MethodDecorator {
  const status = doc.status ?? (doc.response ? 200 : 204);
  const decorators: MethodDecorator[] = [
    ApiOperation({ summary: doc.summary }),
    ApiResponse(
      doc.response
        ? { status, description: 'success', schema: openApiSchema(doc.response) }
        : { status, description: 'success, no body' },
    ),
    ApiResponse({
      status: 400,
      description: 'invalid input; `field` names the offending field',
      schema: ERROR,
    }),
    ApiResponse({ status: 401, description: 'not authenticated', schema: ERROR }),
    ApiResponse({ status: 403, description: 'role not allowed, or CSRF header missing', schema: ERROR }),
  ];
  if (doc.body) decorators.push(ApiBody({ schema: openApiSchema(doc.body) }));
  for (const name of doc.query ?? []) decorators.push(ApiQuery({ name, required: false, type: String }));
  return applyDecorators(...decorators);
}
