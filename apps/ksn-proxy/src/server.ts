import { MODULE_IDS, zeroCounters, type ModuleId, type Verdict } from '@ksn/contracts';
import { createLogger, HttpError, listen, readJson, sendError, sendJson, serverUrl, type Logger } from '@ksn/service-kit';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { VerdictCache } from './cache';
import type { Config } from './config';
import { DeviceAuthenticator } from './device-auth';
import { Heartbeats } from './heartbeat';
import { fileKey, lookup, parseLookup, type LookupDeps } from './lookup';
import { ProxyMetrics } from './metrics';
import { PolicyStore, type PolicyIndex } from './policy-store';
import { Upstream } from './upstream';

export const VERSION = '0.1.0';

export interface RunningProxy {
  endpointUrl: string;
  adminUrl: string;
  store: PolicyStore;
  cache: VerdictCache;
  metrics: ProxyMetrics;
  close(): Promise<void>;
}

type Route = 'lookup' | 'file' | 'policy' | 'unmatched';

/**
 * Starts a ksn-proxy: the endpoint listener (where every lookup enters, see
 * `handle`), the admin listener, the snapshot puller and heartbeats.
 */
export async function startProxy(config: Config, log: Logger = createLogger('ksn-proxy', { level: config.LOG_LEVEL as 'info' })): Promise<RunningProxy> {
  const instanceId = randomUUID();
  const store = new PolicyStore({ securityCenterUrl: config.SECURITY_CENTER_URL, apiKey: config.PROXY_API_KEY, dataDir: config.DATA_DIR, log });
  const counters = zeroCounters();
  const metrics = new ProxyMetrics({
    cacheEntries: () => cache.size,
    snapshotVersion: () => store.current?.version ?? 0,
    snapshotAge: () => (store.current ? Math.max(0, (Date.now() - store.current.generatedAt) / 1000) : 0),
  });
  const ttl: Record<Verdict, number> = {
    clean: config.TTL_CLEAN_SECONDS,
    malicious: config.TTL_MALICIOUS_SECONDS,
    suspicious: config.TTL_SUSPICIOUS_SECONDS,
    adware: config.TTL_ADWARE_SECONDS,
    unknown: config.TTL_UNKNOWN_SECONDS,
  };
  const cache = new VerdictCache({ maxEntries: config.CACHE_MAX_ENTRIES, maxBytes: config.CACHE_MAX_BYTES, ttl, staleWindow: config.STALE_WINDOW_SECONDS, onEvict: () => metrics.cacheEvictions.inc() });
  const upstream = new Upstream(
    { url: config.KSN_UPSTREAM_URL, apiKey: config.UPSTREAM_API_KEY, timeoutMs: config.UPSTREAM_TIMEOUT_MS, connections: config.UPSTREAM_CONNECTIONS, batchMaxKeys: config.BATCH_MAX_KEYS, batchWindowMs: config.BATCH_WINDOW_MS },
    metrics,
    () => counters.upstreamRequests++,
  );
  const deps: LookupDeps = { cache, upstream, metrics, counters };
  const auth = new DeviceAuthenticator();
  store.onChange(() => auth.reset());

  await store.loadFromDisk();
  const pulling = store.run();

  const endpoint = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    void handle(req, res);
  });
  endpoint.maxHeadersCount = 64;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const end = metrics.requestDuration.startTimer();
    let route: Route = 'unmatched';
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
        if (req.method !== 'POST') throw new HttpError('method_not_allowed', 'use POST', undefined, { allow: 'POST' });
        const index = requireSnapshot();
        const caller = auth.authenticate(req, index);
        const { module, keys } = parseLookup(await readJson(req, config.MAX_BODY_BYTES));
        sendJson(res, 200, { results: await lookup(deps, caller, index, module, keys) });
      } else if (path.startsWith('/v1/files/')) {
        route = 'file';
        if (req.method !== 'GET') throw new HttpError('method_not_allowed', 'use GET', undefined, { allow: 'GET' });
        const index = requireSnapshot();
        const caller = auth.authenticate(req, index);
        // Hashes are hex: nothing to percent-decode, and anything else is a 400.
        const key = fileKey(path.slice('/v1/files/'.length));
        const module = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('module') ?? 'file-threat-protection';
        if (!(MODULE_IDS as readonly string[]).includes(module)) throw new HttpError('invalid_request', 'module is not a known module id', 'module');
        const [result] = await lookup(deps, caller, index, module as ModuleId, [key]);
        sendJson(res, 200, result);
      } else if (path === '/v1/policy') {
        route = 'policy';
        if (req.method !== 'GET') throw new HttpError('method_not_allowed', 'use GET', undefined, { allow: 'GET' });
        const index = requireSnapshot();
        const caller = auth.authenticate(req, index);
        sendJson(res, 200, { deviceId: caller.deviceId, groupId: caller.groupId, snapshotVersion: index.version, policy: caller.policy });
      } else {
        throw new HttpError('not_found', 'no such route');
      }
    } catch (e) {
      if (e instanceof HttpError) sendError(res, e);
      else {
        log.error('request failed', { route, error: e as Error });
        sendError(res, new HttpError('internal_error', 'internal error'));
      }
    } finally {
      metrics.requests.inc({ route, status: String(res.statusCode) });
      end({ route });
    }
  }

  function requireSnapshot(): PolicyIndex {
    const index = store.current;
    if (!index) throw new HttpError('unavailable', 'no policy snapshot yet: security-center has not been reached', undefined, { 'retry-after': '5' });
    return index;
  }

  const admin = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (e: unknown) => sendError(res, new HttpError('internal_error', String(e))),
      );
    } else if (path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const index = store.current;
      if (index) sendJson(res, 200, { status: 'ready', snapshotVersion: index.version, snapshotAgeSeconds: Math.round((Date.now() - index.generatedAt) / 1000) });
      else sendJson(res, 503, { error: 'unavailable', message: 'no policy snapshot loaded yet' });
    } else {
      sendError(res, new HttpError('not_found', 'no such route'));
    }
  });

  await listen(endpoint, config.PORT, config.HOST);
  await listen(admin, config.ADMIN_PORT, config.ADMIN_HOST);

  const heartbeats = new Heartbeats({
    securityCenterUrl: config.SECURITY_CENTER_URL,
    apiKey: config.PROXY_API_KEY,
    intervalMs: config.HEARTBEAT_INTERVAL_MS,
    counters,
    describe: () => ({ instanceId, version: VERSION, snapshotVersion: store.current?.version ?? 0, cacheEntries: cache.size }),
    log,
  });
  heartbeats.start();

  return {
    endpointUrl: serverUrl(endpoint),
    adminUrl: serverUrl(admin),
    store,
    cache,
    metrics,
    async close() {
      store.stop();
      await heartbeats.stop();
      await Promise.all([closeServer(endpoint), closeServer(admin)]);
      await upstream.close();
      await pulling;
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
