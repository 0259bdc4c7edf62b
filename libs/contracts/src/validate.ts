import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?Z$/;

/**
 * An ISO-8601 UTC instant (`2026-01-31T12:00:00Z`, seconds and milliseconds optional) that is
 * also a real moment: month 1–12, a day the month has, hours 0–23, minutes and seconds 0–59.
 * The shape alone lets `2030-13-01` or `2030-02-31` through, which `Date` turns into NaN or
 * silently into another day.
 */
export function isInstant(s: string): boolean {
  const m = INSTANT.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as number[];
  const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo! - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === se
  );
}
// Schemas name it as `format: 'instant'` (management-api.ts); registered before anything compiles.
FormatRegistry.Set('instant', isInstant);

export interface ValidationFailure {
  ok: false;
  /** The offending field as a dotted path, e.g. `items[3].sha256`; empty for the body itself. */
  field: string;
  message: string;
}
export type Validation<T> = { ok: true; value: T } | ValidationFailure;

export interface Validator<T extends TSchema> {
  check(value: unknown): value is Static<T>;
  validate(value: unknown): Validation<Static<T>>;
}

/** Turns a JSON pointer (`/items/3/sha256`) into a dotted path (`items[3].sha256`). */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const part of pointer.split('/').slice(1)) {
    const seg = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

/**
 * A union's own error only says "expected union value"; when exactly one variant's
 * discriminating literal matched (e.g. `kind: "hash"`), that variant's first error names
 * the field at fault (`match.sha256`).
 */
function mostSpecific(error: ValueError): ValueError {
  if (error.type !== ValueErrorType.Union) return error;
  const matched: ValueError[] = [];
  for (const variant of error.errors) {
    const all = [...variant];
    if (all.length > 0 && !all.some((e) => e.type === ValueErrorType.Literal)) matched.push(all[0]!);
  }
  return matched.length === 1 ? mostSpecific(matched[0]!) : error;
}

function describe(found: ValueError): ValidationFailure {
  const error = mostSpecific(found);
  let message = error.message;
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    message = 'unknown property';
  } else if (error.type === ValueErrorType.ObjectRequiredProperty) {
    message = 'is required';
  } else if (error.type === ValueErrorType.StringFormat && error.schema['format'] === 'instant') {
    message = 'must be an ISO-8601 UTC instant that exists, such as 2026-01-31T12:00:00Z';
  } else if (error.type === ValueErrorType.StringPattern) {
    message = `has an invalid format (${error.schema['pattern'] as string})`;
  }
  return { ok: false, field: fieldPath(error.path), message };
}

/** Compiles a schema once; `validate` reports the first error with its field. */
export function compile<T extends TSchema>(schema: T): Validator<T> {
  const checker: TypeCheck<T> = TypeCompiler.Compile(schema);
  return {
    check: (value: unknown): value is Static<T> => checker.Check(value),
    validate(value: unknown): Validation<Static<T>> {
      if (checker.Check(value)) return { ok: true, value };
      const first = checker.Errors(value).First();
      return first ? describe(first) : { ok: false, field: '', message: 'is invalid' };
    },
  };
}
