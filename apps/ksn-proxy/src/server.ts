import { MODULE_IDS, zeroCounters, type ModuleId, type Verdict } from '@ksn/contracts';
import {
  createLogger,
  errorBody,
  HttpError,
  listen,
  parseJsonBody,
  readBody,
  requireJsonType,
  sendError,
  sendJson,
  sendJsonText,
  serverUrl,
  type Logger,
} from '@ksn/service-kit';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { createAdminServer } from './admin';
import { CIRCUIT_STATE } from './breaker';
import { VerdictCache } from './cache';
import { ChangeFeed } from './change-feed';
import type { Config } from './config';
import { DeviceAuthenticator, type Caller } from './device-auth';
import { FastLane, type FastRequest, type Reply } from './fast-lane';
import { Heartbeats } from './heartbeat';
import { Insights } from './insights';
import {
  asciiJson,
  compactFileLookup,
  fileKeys,
  lookup,
  parseLookup,
  resultJson,
  resultsJson,
  type LookupDeps,
} from './lookup';
import { ProxyMetrics } from './metrics';
import { PolicyStore, type PolicyIndex } from './policy-store';
import { TelemetrySpool } from './spool';
import { handleTelemetry, spoolDelivery, type TelemetryDeps } from './telemetry';
import { TelemetryForwarder } from './telemetry-forwarder';
import { authorizeTierClient, isTierLookup, parseTierLookup, tierClientGroups, tierLookup } from './tier';
import { handleTokenRefresh } from './token-refresh';
import { TrafficLog } from './traffic';
import { Upstream } from './upstream';
import { UpstreamCredential } from './upstream-credential';

export const VERSION = '0.2.0';

export interface RunningProxy {
  endpointUrl: string;
  adminUrl: string;
  store: PolicyStore;
  cache: VerdictCache;
  metrics: ProxyMetrics;
  upstream: Upstream;
  spool: TelemetrySpool;
  traffic: TrafficLog;
  heartbeats: Heartbeats;
  changeFeed: ChangeFeed;
  /** The plain-HTTP endpoint's fast lane (undefined with TLS or FAST_LANE=off). */
  fastLane: FastLane | undefined;
  /** Graceful stop: stop accepting, drain in-flight requests, flush spool and traffic log, last heartbeat. */
  close(): Promise<void>;
}

/** A change-feed cursor as relayed: opaque, bounded, URL-safe printable characters only. */
const CURSOR_MAX = 200;
const CURSOR = new RegExp(`^[A-Za-z0-9._~:=+/,-]{0,${CURSOR_MAX}}$`);

type Route = 'lookup' | 'file' | 'policy' | 'telemetry' | 'token' | 'changes' | 'unmatched';

const FILES = '/v1/files/';

/**
 * Starts a ksn-proxy: the endpoint listener (where every request enters: the two lookup
 * routes in the fast lane, `serveFast`, when they are plain and simple; everything in
 * `handle` on node:http; both answer lookups with `fileAnswer` / `lookupAnswer` → lookup.ts,
 * and `handle` routes the rest → telemetry.ts / token-refresh.ts / tier.ts),
 * the admin listener, the snapshot puller, the change feed, the telemetry
 * spool and heartbeats.
 */
export async function startProxy(
  config: Config,
  log: Logger = createLogger('ksn-proxy', { level: config.LOG_LEVEL as 'info' }),
): Promise<RunningProxy> {
  const instanceId = randomUUID();
  const startedAt = Date.now();
  const store = new PolicyStore({
    securityCenterUrl: config.SECURITY_CENTER_URL,
    apiKey: config.PROXY_API_KEY,
    dataDir: config.DATA_DIR,
    maxSnapshotBytes: config.SNAPSHOT_MAX_BYTES,
    log,
  });
  const counters = zeroCounters();
  const insights = new Insights();
  const traffic = new TrafficLog({
    dataDir: config.DATA_DIR,
    maxBytes: config.TRAFFIC_LOG_MAX_BYTES,
    files: config.TRAFFIC_LOG_FILES,
    log,
  });
  const metrics: ProxyMetrics = new ProxyMetrics({
    cacheEntries: () => cache.size,
    snapshotVersion: () => store.current?.version ?? 0,
    snapshotAge: () => (store.current ? Math.max(0, (Date.now() - store.current.generatedAt) / 1000) : 0),
    syncAge: () => (Date.now() - (store.lastContact ?? startedAt)) / 1000,
    circuitState: () => CIRCUIT_STATE[upstream.breaker.state],
    quotaTokens: () => upstream.quota.tokens,
    spoolBytes: () => spool.bytes,
    spoolRecords: () => spool.size,
  });
  const ttl: Record<Verdict, number> = {
    clean: config.TTL_CLEAN_SECONDS,
    malicious: config.TTL_MALICIOUS_SECONDS,
    suspicious: config.TTL_SUSPICIOUS_SECONDS,
    adware: config.TTL_ADWARE_SECONDS,
    unknown: config.TTL_UNKNOWN_SECONDS,
  };
  const cache = new VerdictCache({
    maxEntries: config.CACHE_MAX_ENTRIES,
    maxBytes: config.CACHE_MAX_BYTES,
    ttl,
    staleWindow: config.STALE_WINDOW_SECONDS,
    admission: config.CACHE_ADMISSION,
    onEvict: () => metrics.cacheEvictions.inc(),
    onReject: () => metrics.cacheRejections.inc(),
  });
  const upstream = new Upstream(
    {
      url: config.KSN_UPSTREAM_URL,
      token: config.UPSTREAM_API_KEY,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
      connections: config.UPSTREAM_CONNECTIONS,
      batchMaxKeys: config.BATCH_MAX_KEYS,
      batchFlushKeys: config.BATCH_FLUSH_KEYS,
      batchWindowMs: config.BATCH_WINDOW_MS,
      retries: config.UPSTREAM_RETRIES,
      retryBackoffMs: config.UPSTREAM_RETRY_BACKOFF_MS,
      breakerFailures: config.BREAKER_FAILURES,
      breakerResetMs: config.BREAKER_RESET_MS,
      quotaPerSecond: config.UPSTREAM_QUOTA_PER_SECOND,
      quotaBurst: config.UPSTREAM_QUOTA_BURST,
    },
    metrics,
    traffic,
    (ok) => {
      counters.upstreamRequests++;
      if (ok) changeFeed.start();
    },
  );
  const credential = new UpstreamCredential({
    url: config.KSN_UPSTREAM_URL,
    token: config.UPSTREAM_API_KEY,
    dataDir: config.DATA_DIR,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    log,
  });
  const deps: LookupDeps = {
    cache,
    upstream,
    metrics,
    counters,
    insights,
    maxPendingKeys: config.UPSTREAM_MAX_PENDING_KEYS,
    unknownTtl: config.TTL_UNKNOWN_SECONDS,
  };
  // Where permitted telemetry goes: streamed now (forwarder) or later from the disk spool.
  const telemetryTarget = {
    url: config.KSN_UPSTREAM_URL,
    token: config.UPSTREAM_API_KEY,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  };
  const spool = new TelemetrySpool({
    dir: join(config.DATA_DIR, 'spool'),
    maxBytes: config.SPOOL_MAX_BYTES,
    retryMs: config.SPOOL_RETRY_MS,
    deliver: spoolDelivery(telemetryTarget, {
      metrics,
      counters,
      traffic,
      upstream,
      snapshot: () => store.current,
    }),
    onDropped: () => metrics.spoolDropped.inc(),
    log,
  });
  const forwarder = upstream.enabled ? new TelemetryForwarder(telemetryTarget) : undefined;
  // A branch proxy's device token is renewed before it expires; everything that talks upstream takes the new one.
  credential.onChange((token) => {
    upstream.setToken(token);
    telemetryTarget.token = token;
  });
  await credential.start();
  const telemetryDeps: TelemetryDeps = {
    upstream,
    forwarder,
    spool,
    metrics,
    counters,
    traffic,
    maxBodyBytes: config.MAX_BODY_BYTES,
    log,
  };
  const auth = new DeviceAuthenticator((deviceId) => insights.deviceSeen(deviceId));
  // Groups whose devices (branch proxies) may use the upstream protocol: nobody unless configured.
  const tierClients = tierClientGroups(config.TIER_CLIENT_GROUPS);
  store.onChange(() => auth.reset());
  const changeFeed: ChangeFeed = new ChangeFeed(
    upstream,
    cache,
    insights,
    config.CHANGE_FEED_WAIT_SECONDS,
    log,
  );

  await store.loadFromDisk();
  const pulling = store.run();
  await spool.open();
  if (upstream.enabled) spool.start();
  traffic.start();

  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE;
  // connectionsCheckingInterval: Node enforces both deadlines on a sweep, every 30 s by default,
  // which would let a slowloris connection live 30 s past HEADERS_TIMEOUT_MS (adversarial soak).
  const timeouts = {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    headersTimeout: Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS),
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(config.HEADERS_TIMEOUT_MS / 4))),
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const endpoint: Server = tls
    ? createHttpsServer(
        {
          ...timeouts,
          cert: readFileSync(config.TLS_CERT_FILE),
          key: readFileSync(config.TLS_KEY_FILE),
          ...(config.TLS_CLIENT_CA_FILE && {
            ca: readFileSync(config.TLS_CLIENT_CA_FILE),
            requestCert: true,
            rejectUnauthorized: true,
          }),
        },
        onRequest,
      )
    : createServer(timeouts, onRequest);
  endpoint.maxHeadersCount = 64;
  // Plain-HTTP connections start in the fast lane, which answers simple lookups itself and
  // hands anything else to node:http (fast-lane.ts, ADR 014).
  const lane =
    !tls && config.FAST_LANE === 'on'
      ? new FastLane(endpoint, {
          serve: serveFast,
          maxBodyBytes: config.MAX_BODY_BYTES,
          keepAliveMs: timeouts.keepAliveTimeout,
          headersTimeoutMs: timeouts.headersTimeout,
        })
      : undefined;
  // CONNECT never reaches `handle` (Node emits 'connect'); answer it like any other refused
  // request instead of dropping the socket, so a client learns why.
  endpoint.on('connect', (_req: IncomingMessage, socket: import('node:stream').Duplex) => {
    const body = '{"error":"invalid_request","message":"only origin-form requests to this API are accepted"}';
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  let draining = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let route: Route = 'unmatched';
    if (draining) res.setHeader('connection', 'close');
    try {
      const url = req.url ?? '';
      // Never an open proxy: only origin-form paths of our own API.
      if (req.method === 'CONNECT' || !url.startsWith('/') || url.startsWith('//')) {
        throw new HttpError('invalid_request', 'only origin-form requests to this API are accepted');
      }
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path === '/v1/lookup') {
        route = 'lookup';
        if (req.method !== 'POST')
          throw new HttpError('method_not_allowed', 'use POST', undefined, { allow: 'POST' });
        const index = requireSnapshot();
        const caller = auth.authenticate(req.headers.authorization, index);
        requireJsonType(req.headers['content-type']);
        const answer = lookupAnswer(caller, index, await readBody(req, config.MAX_BODY_BYTES));
        sendJsonText(res, 200, answer instanceof Promise ? await answer : answer);
      } else if (path.startsWith(FILES)) {
        route = 'file';
        if (req.method !== 'GET')
          throw new HttpError('method_not_allowed', 'use GET', undefined, { allow: 'GET' });
        const answer = fileAnswer(req.headers.authorization, path, q < 0 ? '' : url.slice(q + 1));
        sendJsonText(res, 200, answer instanceof Promise ? await answer : answer);
      } else if (path === '/v1/policy') {
        route = 'policy';
        if (req.method !== 'GET')
          throw new HttpError('method_not_allowed', 'use GET', undefined, { allow: 'GET' });
        const index = requireSnapshot();
        const caller = auth.authenticate(req.headers.authorization, index);
        sendJson(res, 200, {
          deviceId: caller.deviceId,
          groupId: caller.groupId,
          snapshotVersion: index.version,
          policy: caller.policy,
        });
      } else if (path === '/v1/telemetry') {
        route = 'telemetry';
        if (req.method !== 'POST')
          throw new HttpError('method_not_allowed', 'use POST', undefined, { allow: 'POST' });
        const caller = auth.authenticate(req.headers.authorization, requireSnapshot());
        await handleTelemetry(telemetryDeps, caller, req, res);
      } else if (path === '/v1/token/refresh') {
        route = 'token';
        if (req.method !== 'POST')
          throw new HttpError('method_not_allowed', 'use POST', undefined, { allow: 'POST' });
        await handleTokenRefresh(
          {
            securityCenterUrl: config.SECURITY_CENTER_URL,
            apiKey: config.PROXY_API_KEY,
            maxBodyBytes: config.MAX_BODY_BYTES,
          },
          req,
          res,
        );
      } else if (path === '/v1/changes') {
        // Tiering: a branch proxy follows the change feed through this one.
        route = 'changes';
        if (req.method !== 'GET')
          throw new HttpError('method_not_allowed', 'use GET', undefined, { allow: 'GET' });
        authorizeTierClient(auth.authenticate(req.headers.authorization, requireSnapshot()), tierClients);
        await relayChanges(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), res);
      } else {
        throw new HttpError('not_found', 'no such route');
      }
    } catch (e) {
      if (res.headersSent) res.destroy();
      else sendError(res, asHttpError(route, e));
    } finally {
      record(route, res.statusCode, started);
    }
  }

  /**
   * The fast lane's routes (fast-lane.ts): the two lookup routes, answered as `handle`
   * answers them; undefined leaves any other request, and its connection, to node:http.
   */
  function serveFast(req: FastRequest): Reply | Promise<Reply> | undefined {
    const started = performance.now();
    const q = req.target.indexOf('?');
    const path = q < 0 ? req.target : req.target.slice(0, q);
    let route: Route = 'unmatched';
    let answer: string | Promise<string>;
    try {
      if (req.method === 'GET' && path.startsWith(FILES)) {
        route = 'file';
        answer = fileAnswer(req.authorization, path, q < 0 ? '' : req.target.slice(q + 1));
      } else if (req.method === 'POST' && path === '/v1/lookup') {
        route = 'lookup';
        const index = requireSnapshot();
        const caller = auth.authenticate(req.authorization, index);
        requireJsonType(req.contentType);
        answer = lookupAnswer(caller, index, req.body);
      } else return undefined;
    } catch (e) {
      return fastError(route, started, e);
    }
    if (answer instanceof Promise)
      return answer.then(
        (value) => fastAnswer(route, started, value),
        (e) => fastError(route, started, e),
      );
    return fastAnswer(route, started, answer);
  }

  function fastAnswer(route: Route, started: number, json: string): Reply {
    record(route, 200, started);
    // Lookup answers are ASCII (`resultsJson`, `asciiJson`).
    return { status: 200, body: json, ascii: true };
  }

  function fastError(route: Route, started: number, e: unknown): Reply {
    const err = asHttpError(route, e);
    record(route, err.status, started);
    return { status: err.status, body: JSON.stringify(errorBody(err)), headers: err.headers };
  }

  /**
   * GET /v1/files/{hash}[?module=…]: one file's verdict, as JSON. A cache hit is returned at
   * once (no promise, no microtask turn).
   */
  function fileAnswer(
    authorization: string | undefined,
    path: string,
    query: string,
  ): string | Promise<string> {
    const index = requireSnapshot();
    const caller = auth.authenticate(authorization, index);
    // Hashes are hex: nothing to percent-decode, and anything else is a 400.
    const { keys, packed } = fileKeys(path.slice(FILES.length));
    const module = moduleParam(query) ?? 'file-threat-protection';
    if (!(MODULE_IDS as readonly string[]).includes(module))
      throw new HttpError('invalid_request', 'module is not a known module id', 'module');
    const results = lookup(deps, caller, index, module as ModuleId, keys, packed);
    return results instanceof Promise ? results.then((r) => resultJson(r[0]!)) : resultJson(results[0]!);
  }

  /**
   * POST /v1/lookup for an authenticated caller, from the request's bytes, as JSON: the
   * endpoints' compact file lookup read straight from the bytes, else any lookup body by its
   * JSON (the endpoint protocol, or for branch proxies only the upstream one).
   */
  function lookupAnswer(caller: Caller, index: PolicyIndex, body: Buffer): string | Promise<string> {
    let parsed = compactFileLookup(body);
    if (parsed === undefined) {
      const json = parseJsonBody(body.toString('utf8'));
      if (isTierLookup(json)) {
        // The upstream protocol skips the caller's module toggles: branch proxies only.
        authorizeTierClient(caller, tierClients);
        return tierLookup(deps, parseTierLookup(json)).then((results) => asciiJson({ results }));
      }
      parsed = parseLookup(json);
    }
    const results = lookup(deps, caller, index, parsed.module, parsed.keys, parsed.packed);
    return results instanceof Promise ? results.then(resultsJson) : resultsJson(results);
  }

  /** An error as the caller sees it: an HttpError as it is, anything else a logged 500. */
  function asHttpError(route: Route, e: unknown): HttpError {
    if (e instanceof HttpError) return e;
    log.error('request failed', { route, error: e as Error });
    return new HttpError('internal_error', 'internal error');
  }

  function record(route: Route, status: number, started: number): void {
    metrics.requests.child(route, String(status)).inc();
    metrics.requestDuration.child(route).observe((performance.now() - started) / 1000);
  }

  function requireSnapshot(): PolicyIndex {
    const index = store.current;
    if (!index)
      throw new HttpError(
        'unavailable',
        'no policy snapshot yet: security-center has not been reached',
        undefined,
        { 'retry-after': '5' },
      );
    return index;
  }

  async function relayChanges(query: URLSearchParams, res: ServerResponse): Promise<void> {
    if (!upstream.enabled) throw new HttpError('not_found', 'private mode: no upstream change feed');
    const since = query.get('since') ?? '';
    const wait = Number(query.get('wait') ?? '0');
    // Cursors are opaque strings (contracts' ChangesResponse): any bounded run of URL-safe
    // printable characters, passed on percent-encoded (Upstream#changes).
    if (!CURSOR.test(since))
      throw new HttpError(
        'invalid_request',
        `since must be a cursor from this feed (at most ${CURSOR_MAX} of A-Z a-z 0-9 - . _ ~ : = + / ,)`,
        'since',
      );
    if (!Number.isInteger(wait) || wait < 0 || wait > 60)
      throw new HttpError('invalid_request', 'wait must be 0 to 60 seconds', 'wait');
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const page = await upstream.changes(since, wait, abort.signal);
      if (page === undefined) throw new HttpError('not_found', 'the upstream has no change feed');
      sendJson(res, 200, page);
    } catch (e) {
      if (e instanceof HttpError) throw e;
      if (abort.signal.aborted) return;
      throw new HttpError('upstream_error', 'the upstream change feed failed');
    }
  }

  const admin = createAdminServer(metrics, store, () => draining);

  await listen(endpoint, config.PORT, config.HOST);
  await listen(admin, config.ADMIN_PORT, config.ADMIN_HOST);

  const heartbeats = new Heartbeats({
    securityCenterUrl: config.SECURITY_CENTER_URL,
    apiKey: config.PROXY_API_KEY,
    intervalMs: config.HEARTBEAT_INTERVAL_MS,
    counters,
    insights,
    traffic,
    describe: () => ({
      instanceId,
      version: VERSION,
      snapshotVersion: store.current?.version ?? 0,
      cacheEntries: cache.size,
    }),
    log,
  });
  heartbeats.start();

  return {
    endpointUrl: serverUrl(endpoint, tls ? 'https' : 'http'),
    adminUrl: serverUrl(admin),
    store,
    cache,
    metrics,
    upstream,
    spool,
    traffic,
    heartbeats,
    changeFeed,
    fastLane: lane,
    async close() {
      draining = true;
      lane?.drain();
      store.stop();
      await changeFeed.stop();
      // Stop accepting; in-flight requests finish (server.close waits for them).
      await closeServer(endpoint, lane);
      lane?.stop();
      await spool.close();
      await traffic.close();
      await heartbeats.stop();
      await closeServer(admin);
      forwarder?.close();
      credential.stop();
      await upstream.close();
      await pulling;
    },
  };
}

/**
 * Stops accepting and resolves once in-flight requests are answered. http.Server#close would
 * also reset "idle" connections at once, including one accepted a moment before the signal
 * whose request is not parsed yet; so stop listening with net.Server#close, let such requests
 * in for a short grace (answered with `Connection: close`), then close what is idle.
 */
function closeServer(server: Server, lane?: FastLane, graceMs = 300): Promise<void> {
  const closeIdle = () => {
    server.closeIdleConnections();
    lane?.closeIdle();
  };
  return new Promise((resolve) => {
    let sweep: NodeJS.Timeout | undefined;
    const grace = setTimeout(() => {
      closeIdle();
      sweep = setInterval(closeIdle, 25);
    }, graceMs);
    NetServer.prototype.close.call(server, () => {
      clearTimeout(grace);
      clearInterval(sweep);
      resolve();
    });
  });
}

/** `module` from a query string: the one-parameter form endpoints send without a URLSearchParams per request. */
function moduleParam(query: string): string | null {
  if (query.startsWith('module=') && !/[&%+]/.test(query)) return query.slice(7);
  return query === '' ? null : new URLSearchParams(query).get('module');
}
