import { compile, type ErrorCode } from '@ksn/contracts';
import { Type, type Static } from '@sinclair/typebox';

export const OUTAGE_MODES = ['off', 'reset', 'unavailable', 'hang'] as const;
export const LATENCY_DISTRIBUTIONS = ['uniform', 'normal', 'exponential'] as const;
export const ERROR_STATUSES = [500, 502, 503, 504] as const;

/** The fault and load knobs; they apply to /v1 routes only (admin, /metrics and /healthz always answer). */
export const FaultSettings = Type.Object(
  {
    /** Fixed latency added to every /v1 answer, ms. */
    latencyMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /** Random extra latency, ms: the spread of `latencyDistribution`. */
    latencyJitterMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /** uniform: + U(0, jitter); normal: + N(0, jitter) (never below 0); exponential: + Exp(mean jitter), a long tail. */
    latencyDistribution: Type.Union(LATENCY_DISTRIBUTIONS.map((d) => Type.Literal(d))),
    /** Share (0..1) of /v1 requests answered with an error status instead. */
    errorRate: Type.Number({ minimum: 0, maximum: 1 }),
    /** The statuses injected errors use, picked at random. */
    errorStatuses: Type.Array(Type.Union(ERROR_STATUSES.map((s) => Type.Literal(s))), {
      minItems: 1,
      maxItems: 4,
    }),
    /** off; reset: the connection is reset; unavailable: 503; hang: accepted, never answered. */
    outage: Type.Union(OUTAGE_MODES.map((m) => Type.Literal(m))),
    /** When > 0, response bodies are dripped at this many bytes per second. */
    slowBodyBytesPerSecond: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    /** When > 0, /v1 requests per second allowed (token bucket); more get 429 with Retry-After. */
    rateLimitPerSecond: Type.Number({ minimum: 0, maximum: 1_000_000 }),
    /** Bucket size: requests allowed at once after a quiet period (0: one second's worth). */
    rateLimitBurst: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);
export type FaultSettings = Static<typeof FaultSettings>;

export const FaultPatch = Type.Partial(FaultSettings, { additionalProperties: false });
export type FaultPatch = Static<typeof FaultPatch>;
export const validFaultPatch = compile(FaultPatch);

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze<FaultSettings>({
  latencyMs: 0,
  latencyJitterMs: 0,
  latencyDistribution: 'uniform',
  errorRate: 0,
  errorStatuses: [500, 503],
  outage: 'off',
  slowBodyBytesPerSecond: 0,
  rateLimitPerSecond: 0,
  rateLimitBurst: 0,
});

const STATUS_CODE: Readonly<Record<(typeof ERROR_STATUSES)[number], ErrorCode>> = {
  500: 'internal_error',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'upstream_timeout',
};

/** What the rate limiter says about one request. */
export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * The fault knobs in force and the randomness behind them. `random` and
 * `now` (ms, monotonic) can be injected for tests.
 */
export class Faults {
  private settings: FaultSettings;
  private tokens = 0;
  private refilledAt = 0;

  constructor(
    private readonly initial: FaultSettings,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.settings = { ...initial, errorStatuses: [...initial.errorStatuses] };
    this.fillBucket();
  }

  /** A checked partial update; throws naming the field when it is invalid. */
  static patch(value: unknown): FaultPatch {
    const parsed = validFaultPatch.validate(value);
    if (!parsed.ok) throw new FaultSettingsError(parsed.field, parsed.message);
    return parsed.value;
  }

  /** No faults, but for `patch`. */
  static settings(patch: unknown = {}): FaultSettings {
    return { ...NO_FAULTS, ...Faults.patch(patch) };
  }

  /** The knobs in force, not copied: for reading on every request. */
  get knobs(): Readonly<FaultSettings> {
    return this.settings;
  }

  /** A copy of the knobs in force. */
  get current(): FaultSettings {
    return { ...this.settings, errorStatuses: [...this.settings.errorStatuses] };
  }

  update(patch: FaultPatch): FaultSettings {
    this.settings = {
      ...this.settings,
      ...patch,
      errorStatuses: [...(patch.errorStatuses ?? this.settings.errorStatuses)],
    };
    if (patch.rateLimitPerSecond !== undefined || patch.rateLimitBurst !== undefined) this.fillBucket();
    return this.current;
  }

  /** Back to the start-up knobs. */
  reset(): void {
    this.settings = { ...this.initial, errorStatuses: [...this.initial.errorStatuses] };
    this.fillBucket();
  }

  /** Latency to add to this request, ms (0..60 s). */
  latency(): number {
    const { latencyMs, latencyJitterMs, latencyDistribution } = this.settings;
    if (latencyJitterMs === 0) return latencyMs;
    let extra: number;
    switch (latencyDistribution) {
      case 'uniform':
        extra = this.random() * latencyJitterMs;
        break;
      case 'normal':
        extra = this.gaussian() * latencyJitterMs;
        break;
      case 'exponential':
        extra = -Math.log(1 - this.random()) * latencyJitterMs;
        break;
    }
    return Math.min(60_000, Math.max(0, Math.round(latencyMs + extra)));
  }

  /** The error to answer this request with instead, if the error rate says so. */
  injectedError(): ErrorCode | undefined {
    const { errorRate, errorStatuses } = this.settings;
    if (errorRate <= 0 || this.random() >= errorRate) return undefined;
    const status = errorStatuses[Math.floor(this.random() * errorStatuses.length)] ?? 503;
    return STATUS_CODE[status];
  }

  /** Takes a token from the bucket, or says how long until one is there. */
  admit(): Admission {
    const rate = this.settings.rateLimitPerSecond;
    if (rate <= 0) return { ok: true };
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / rate)) };
  }

  private capacity(): number {
    return this.settings.rateLimitBurst || Math.max(1, Math.ceil(this.settings.rateLimitPerSecond));
  }

  private fillBucket(): void {
    this.tokens = this.capacity();
    this.refilledAt = this.now();
  }

  private gaussian(): number {
    // Box–Muller; 1 - random() keeps the logarithm finite.
    return Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
  }
}

export class FaultSettingsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`faults${field ? `.${field}` : ''} ${message}`);
  }
}
