import { VERDICTS } from '@ksn/contracts';
import { createLogger, int, oneOf, parseEnv, port, str, type EnvOf, type EnvVar } from '@ksn/service-kit';
import { ERROR_STATUSES, LATENCY_DISTRIBUTIONS, OUTAGE_MODES } from './faults';
import type { EmulatorOptions } from './server';

/** A decimal number in [min, max]. */
function decimal(o: { description: string; default: number; min: number; max: number }): EnvVar<number> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      if (!/^\d+(\.\d+)?$/.test(raw)) throw new Error('must be a decimal number');
      const n = Number(raw);
      if (n < o.min || n > o.max) throw new Error(`must be ${o.min} to ${o.max}`);
      return n;
    },
  };
}

type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** A comma-separated list of error statuses, e.g. `500,503`. */
function statuses(o: { description: string; default: ErrorStatus[] }): EnvVar<ErrorStatus[]> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      const list = raw.split(',').map((s) => Number(s.trim()));
      if (!list.every((s): s is ErrorStatus => (ERROR_STATUSES as readonly number[]).includes(s))) {
        throw new Error(`must be a comma-separated list of ${ERROR_STATUSES.join(', ')}`);
      }
      return list;
    },
  };
}

export const CONFIG_SPEC = {
  PORT: port({ description: 'Cloud emulator port', default: 13180 }),
  HOST: str({ description: 'Cloud emulator address', default: '127.0.0.1' }),
  EMULATOR_SEED: str({
    description: 'Seed of the synthetic verdict corpus (same seed, same answers)',
    default: 'ksn-emulator',
  }),
  EMULATOR_API_KEY: str({
    description: 'If set, /v1 and /admin callers must present it as a Bearer token',
    default: '',
    secret: true,
  }),
  EMULATOR_LATENCY_MS: int({
    description: 'Fixed latency added to every /v1 answer, ms',
    default: 0,
    min: 0,
    max: 60_000,
  }),
  EMULATOR_LATENCY_JITTER_MS: int({
    description: 'Random extra latency, ms (spread of the distribution)',
    default: 0,
    min: 0,
    max: 60_000,
  }),
  EMULATOR_LATENCY_DISTRIBUTION: oneOf(LATENCY_DISTRIBUTIONS, {
    description: 'Distribution of the extra latency: uniform, normal or exponential',
    default: 'uniform',
  }),
  EMULATOR_ERROR_RATE: decimal({
    description: 'Share (0 to 1) of /v1 requests answered with an error status',
    default: 0,
    min: 0,
    max: 1,
  }),
  EMULATOR_ERROR_STATUSES: statuses({
    description: 'Statuses injected errors use, picked at random (500, 502, 503, 504)',
    default: [500, 503],
  }),
  EMULATOR_OUTAGE: oneOf(OUTAGE_MODES, {
    description:
      'Outage of every /v1 route: off, reset (connection reset), unavailable (503) or hang (never answers)',
    default: 'off',
  }),
  EMULATOR_SLOW_BODY_BYTES_PER_SECOND: int({
    description: 'When > 0, /v1 response bodies are dripped at this rate',
    default: 0,
    min: 0,
  }),
  EMULATOR_RATE_LIMIT_RPS: decimal({
    description: 'When > 0, /v1 requests per second allowed (token bucket); more get 429 with Retry-After',
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  EMULATOR_RATE_LIMIT_BURST: int({
    description: 'Token bucket size (0: one second of EMULATOR_RATE_LIMIT_RPS)',
    default: 0,
    min: 0,
    max: 1_000_000,
  }),
  EMULATOR_URGENT_SHARE: decimal({
    description: 'Share (0 to 1) of unknown objects that get a verdict after their first lookup',
    default: 0.1,
    min: 0,
    max: 1,
  }),
  EMULATOR_URGENT_DELAY_MS: int({
    description:
      'Delay from the first lookup of such an object to its verdict (published in the change feed), ms',
    default: 30_000,
    min: 0,
    max: 86_400_000,
  }),
  EMULATOR_URGENT_VERDICT: oneOf(VERDICTS, {
    description: 'The verdict urgent detections give',
    default: 'malicious',
  }),
  EMULATOR_TELEMETRY_KEEP: int({
    description: 'Telemetry uploads kept in memory for /admin/telemetry',
    default: 1000,
    min: 1,
    max: 1_000_000,
  }),
  EMULATOR_TELEMETRY_MAX_BYTES: int({
    description: 'Largest telemetry body accepted, bytes (larger: 413)',
    default: 1_048_576,
    min: 1,
    max: 1_073_741_824,
  }),
  EMULATOR_MAX_TRACKED_KEYS: int({
    description: 'Keys remembered for /admin/asked (also bounds idempotency keys and urgent detections)',
    default: 250_000,
    min: 2,
    max: 100_000_000,
  }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'] as const, {
    description: 'debug, info, warn or error',
    default: 'info',
  }),
};

export type Config = EnvOf<typeof CONFIG_SPEC>;

export const loadConfig = (env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config =>
  parseEnv(CONFIG_SPEC, env);

/** The emulator's options from its configuration. */
export function optionsFromConfig(config: Config): EmulatorOptions {
  return {
    port: config.PORT,
    host: config.HOST,
    seed: config.EMULATOR_SEED,
    apiKey: config.EMULATOR_API_KEY,
    faults: {
      latencyMs: config.EMULATOR_LATENCY_MS,
      latencyJitterMs: config.EMULATOR_LATENCY_JITTER_MS,
      latencyDistribution: config.EMULATOR_LATENCY_DISTRIBUTION,
      errorRate: config.EMULATOR_ERROR_RATE,
      errorStatuses: config.EMULATOR_ERROR_STATUSES,
      outage: config.EMULATOR_OUTAGE,
      slowBodyBytesPerSecond: config.EMULATOR_SLOW_BODY_BYTES_PER_SECOND,
      rateLimitPerSecond: config.EMULATOR_RATE_LIMIT_RPS,
      rateLimitBurst: config.EMULATOR_RATE_LIMIT_BURST,
    },
    urgent: {
      share: config.EMULATOR_URGENT_SHARE,
      delayMs: config.EMULATOR_URGENT_DELAY_MS,
      verdict: config.EMULATOR_URGENT_VERDICT,
    },
    telemetry: { keep: config.EMULATOR_TELEMETRY_KEEP, maxBodyBytes: config.EMULATOR_TELEMETRY_MAX_BYTES },
    maxTrackedKeys: config.EMULATOR_MAX_TRACKED_KEYS,
    logger: createLogger('cloud-emulator', { level: config.LOG_LEVEL }),
  };
}
