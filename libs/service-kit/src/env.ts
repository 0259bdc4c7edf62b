/**
 * Environment configuration: one declarative spec per service, validated once
 * at start-up. Every bad variable is reported by name with what was wrong; the
 * spec also documents each variable (README's configuration table).
 */
export interface EnvVar<T> {
  description: string;
  /** Shown in docs; also the value used when the variable is unset (undefined = required). */
  default: T | undefined;
  /** Secrets are never echoed in error messages or logs. */
  secret?: boolean;
  parse(raw: string): T;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

type Spec = Record<string, EnvVar<unknown>>;
export type EnvOf<S extends Spec> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

export function parseEnv<S extends Spec>(
  spec: S,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
): EnvOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (v.default === undefined) problems.push(`${name}: is required (${v.description})`);
      else out[name] = v.default;
      continue;
    }
    try {
      out[name] = v.parse(raw);
    } catch (e) {
      const shown = v.secret ? '(hidden)' : JSON.stringify(raw);
      problems.push(`${name}: ${(e as Error).message}, got ${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as EnvOf<S>;
}

interface Common<T> {
  description: string;
  default?: T;
  secret?: boolean;
}

export function int(o: Common<number> & { min?: number; max?: number }): EnvVar<number> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      if (!/^-?\d+$/.test(raw)) throw new Error('must be a whole number');
      const n = Number(raw);
      if (o.min !== undefined && n < o.min) throw new Error(`must be at least ${o.min}`);
      if (o.max !== undefined && n > o.max) throw new Error(`must be at most ${o.max}`);
      return n;
    },
  };
}

export function port(o: Common<number>): EnvVar<number> {
  return int({ ...o, min: 0, max: 65535 });
}

export function str(o: Common<string> & { pattern?: RegExp; hint?: string }): EnvVar<string> {
  return {
    description: o.description,
    default: o.default,
    secret: o.secret ?? false,
    parse(raw) {
      if (o.pattern && !o.pattern.test(raw))
        throw new Error(`must be ${o.hint ?? `like ${o.pattern.source}`}`);
      return raw;
    },
  };
}

export function bool(o: Common<boolean>): EnvVar<boolean> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new Error('must be true or false');
    },
  };
}

export function oneOf<T extends string>(values: readonly T[], o: Common<T>): EnvVar<T> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      if (!(values as readonly string[]).includes(raw))
        throw new Error(`must be one of ${values.join(', ')}`);
      return raw as T;
    },
  };
}

/** An http(s) URL without credentials in it (they would end up in logs). Empty string = unset. */
export function httpUrl(o: Common<string>): EnvVar<string> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error('must be an absolute http(s) URL');
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http(s) URL');
      if (u.username || u.password) throw new Error('must not contain credentials');
      return raw.replace(/\/+$/, '');
    },
  };
}

/** Markdown rows `| NAME | default | description |` for the README's configuration table. */
export function envTable(spec: Spec): string {
  return Object.entries(spec)
    .map(
      ([name, v]) =>
        `| \`${name}\` | ${v.default === undefined ? '(required)' : v.default === '' ? '(empty)' : `\`${String(v.default)}\``} | ${v.description} |`,
    )
    .join('\n');
}

/** Loads a service's configuration or exits with status 2 and the list of problems. */
export function configOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${service}: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
