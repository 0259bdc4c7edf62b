import type { Verdict, VerdictChange } from '@ksn/contracts';
import { HttpError, listen, serverUrl, type Logger } from '@ksn/service-kit';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { Faults, FaultSettingsError, type FaultPatch, type FaultSettings } from './faults';
import { errorReply, json, send, type Reply } from './reply';
import * as admin from './routes/admin';
import { matchRoute, type Match } from './routes/table';
import * as v1 from './routes/v1';
import { DEFAULT_TTL_SECONDS, EmulatorState, type AdminStats } from './state';

export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Seed of the synthetic corpus; default `ksn-emulator`. */
  seed?: string;
  /** When non-empty, every /v1 and /admin route requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Fault knobs at start-up (and what /admin/reset returns to); default none. */
  faults?: FaultPatch;
  /** Urgent detection of unknown objects; default 10 % of them, 30 s after their first lookup, found malicious. */
  urgent?: { share?: number; delayMs?: number; verdict?: Verdict };
  /** Cache lifetimes suggested in lookup answers, seconds, by verdict. */
  ttlSeconds?: Partial<Record<Verdict, number>>;
  /** Telemetry uploads kept for /admin/telemetry (default 1000) and the largest accepted body (default 1 MiB). */
  telemetry?: { keep?: number; maxBodyBytes?: number };
  /** Bound on keys remembered for /admin/asked, idempotency keys and urgent detections; default 250,000. */
  maxTrackedKeys?: number;
  /** prom-client's default process metrics in /metrics; default true. */
  defaultMetrics?: boolean;
  /** Default: silent. */
  logger?: Logger;
}

export interface RunningEmulator {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** This instance's metrics registry. */
  registry: Registry;
  faults(): FaultSettings;
  /** Changes fault knobs, as `POST /admin/faults` does. */
  setFaults(patch: FaultPatch): FaultSettings;
  /** Sets a verdict by hand, as `POST /admin/verdicts` does; the change-feed entry, when one was published. */
  setVerdict(key: string, verdict: Verdict, category?: string): VerdictChange | undefined;
  /** How many times a key was asked in lookups. */
  asked(key: string): number;
  stats(): AdminStats;
  /** As `POST /admin/reset`. */
  reset(): void;
  /** Stops listening, ends pending long-polls and open connections. */
  close(): Promise<void>;
}

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Starts the reference upstream cloud: lookups from the deterministic corpus,
 * file details, the category tree, the verdict-change feed (with urgent
 * detections), the telemetry sink, fault and load knobs, and /admin routes
 * for tests and demos. Each request goes: route → (v1) outage → API key →
 * (v1) rate limit → latency → injected error → handler → (slow) body.
 */
export async function startCloudEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const log = opts.logger ?? silent;
  let initialFaults: FaultSettings;
  try {
    initialFaults = Faults.settings(opts.faults);
  } catch (e) {
    throw e instanceof FaultSettingsError ? new Error(`invalid emulator options: ${e.message}`) : e;
  }
  const state = new EmulatorState({
    seed: opts.seed ?? 'ksn-emulator',
    apiKey: opts.apiKey ?? '',
    faults: initialFaults,
    urgent: {
      share: opts.urgent?.share ?? 0.1,
      delayMs: opts.urgent?.delayMs ?? 30_000,
      verdict: opts.urgent?.verdict ?? 'malicious',
    },
    ttlSeconds: { ...DEFAULT_TTL_SECONDS, ...opts.ttlSeconds },
    telemetryKeep: opts.telemetry?.keep ?? 1000,
    telemetryMaxBytes: opts.telemetry?.maxBodyBytes ?? 1024 * 1024,
    maxTrackedKeys: opts.maxTrackedKeys ?? 250_000,
    defaultMetrics: opts.defaultMetrics ?? true,
  });
  const expectedAuth = opts.apiKey ? digest(`Bearer ${opts.apiKey}`) : undefined;
  /** One controller per request in progress: aborted when its client goes, or all at once by close(). */
  const inFlight = new Set<AbortController>();

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const match = matchRoute(url.pathname);
    const endTimer = state.metrics.requestDuration.startTimer({ route: match.route });
    const abort = new AbortController();
    inFlight.add(abort);
    res.once('close', () => {
      inFlight.delete(abort);
      abort.abort();
    });
    const signal = abort.signal;
    const v1Route = match.scope === 'v1';
    let status = 'aborted';
    try {
      state.countRequest(match.route);
      const outage = v1Route ? state.faults.knobs.outage : 'off';
      if (outage === 'reset' || outage === 'hang') {
        state.countFault('outage');
        status = outage;
        if (outage === 'reset') req.socket.resetAndDestroy();
        else await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return;
      }
      let reply: Reply;
      try {
        if (outage === 'unavailable') {
          state.countFault('outage');
          throw new HttpError('unavailable', 'emulated outage');
        }
        if (match.scope !== 'open' && expectedAuth && !authorised(req, expectedAuth)) {
          throw new HttpError(
            'unauthorized',
            'a valid API key is required (Authorization: Bearer <key>)',
            undefined,
            { 'www-authenticate': 'Bearer' },
          );
        }
        if (v1Route) await applyFaults(signal);
        reply = await route(match, req, url, signal);
      } catch (e) {
        if (signal.aborted && !(e instanceof HttpError)) return;
        const err = e instanceof HttpError ? e : new HttpError('internal_error', 'internal error');
        if (!(e instanceof HttpError)) log.error('request failed', { route: match.route, error: e });
        reply = errorReply(err);
      }
      status = String(reply.status);
      const slow = v1Route ? state.faults.knobs.slowBodyBytesPerSecond : 0;
      if (slow > 0) state.countFault('slow_body');
      await send(res, reply, slow);
    } finally {
      state.metrics.requests.inc({ route: match.route, status });
      endTimer();
    }
  }

  /** Rate limit, latency, injected errors: the load and fault knobs of /v1 routes. */
  async function applyFaults(signal: AbortSignal): Promise<void> {
    const admission = state.faults.admit();
    if (!admission.ok) {
      state.countFault('rate_limited');
      throw new HttpError('rate_limited', 'emulated rate limit', undefined, {
        'retry-after': String(admission.retryAfterSeconds),
      });
    }
    const latency = state.faults.latency();
    if (latency > 0) {
      state.countFault('latency');
      await sleep(latency, undefined, { signal });
    }
    const error = state.faults.injectedError();
    if (error) {
      state.countFault('error');
      throw new HttpError(error, 'emulated failure');
    }
  }

  async function route(match: Match, req: IncomingMessage, url: URL, signal: AbortSignal): Promise<Reply> {
    if (!match.methods.includes(req.method ?? '')) {
      if (match.route === 'unmatched') throw new HttpError('not_found', 'no such route');
      throw new HttpError('method_not_allowed', `use ${match.methods.join(' or ')}`, undefined, {
        allow: match.methods.join(', '),
      });
    }
    switch (match.route) {
      case 'v1_lookup':
        return json(v1.lookup(state, await v1.readLookup(req)));
      case 'v1_details':
        return json(v1.details(state, match.param ?? ''));
      case 'v1_categories':
        return v1.categories(state);
      case 'v1_changes':
        return v1.changes(state, url.searchParams, signal);
      case 'v1_telemetry':
        return v1.telemetry(state, req);
      case 'admin_faults': {
        const before = JSON.stringify(state.faults.current);
        const after = await admin.faults(state, req);
        if (JSON.stringify(after) !== before) log.info('faults changed', { faults: after });
        return json(after);
      }
      case 'admin_verdicts':
        return json(admin.setVerdict(state, await admin.readSetVerdict(req)));
      case 'admin_stats':
        return json(state.stats());
      case 'admin_asked':
        return json(admin.asked(state, url.searchParams));
      case 'admin_telemetry':
        return json(admin.telemetry(state, url.searchParams));
      case 'admin_reset':
        state.reset();
        log.info('reset');
        return json({ reset: true, cursor: state.feed.cursor });
      case 'metrics':
        return {
          status: 200,
          raw: {
            text: await state.metrics.registry.metrics(),
            contentType: state.metrics.registry.contentType,
          },
        };
      case 'healthz':
        return json({ status: 'ok' });
      case 'unmatched':
        throw new HttpError('not_found', 'no such route');
    }
  }

  await listen(server, opts.port, opts.host ?? '127.0.0.1');
  const url = serverUrl(server);
  log.info('cloud emulator listening', { url, seed: state.settings.seed, auth: expectedAuth !== undefined });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: Number(new URL(url).port),
    registry: state.metrics.registry,
    faults: () => state.faults.current,
    setFaults: (patch) => state.faults.update(Faults.patch(patch)),
    setVerdict: (key, verdict, category) =>
      admin.setVerdict(state, { key, verdict, ...(category !== undefined && { category }) }).change ??
      undefined,
    asked: (key) => state.askedCount(key),
    stats: () => state.stats(),
    reset: () => state.reset(),
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        state.close();
        for (const abort of inFlight) abort.abort();
        server.close(() => resolve());
        // Let the long-polls just woken write their answers, then drop every connection.
        setImmediate(() => server.closeAllConnections());
      })),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorised(req: IncomingMessage, expected: Buffer): boolean {
  const given = req.headers.authorization;
  return given !== undefined && timingSafeEqual(digest(given), expected);
}

/** The request target as a URL; one that does not parse matches no route. */
function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://emulator');
  } catch {
    return new URL('http://emulator/invalid-request-target');
  }
}
