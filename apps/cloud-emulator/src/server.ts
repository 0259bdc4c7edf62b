import { compile, hashKey, hashKind, UpstreamLookupRequest, type UpstreamVerdict, type Verdict, type VerdictChange } from '@ksn/contracts';
import { HttpError, listen, readBody, readJson, sendError, sendJson, serverUrl } from '@ksn/service-kit';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { categoryTree, Corpus } from './corpus';

const validLookup = compile(UpstreamLookupRequest);
const KEY = /^(sha256:[0-9a-f]{64}|sha1:[0-9a-f]{40}|md5:[0-9a-f]{32}|url:https?:\/\/.+)$/;

export interface EmulatorOptions {
  port: number;
  host?: string;
  seed?: string;
  /** When set, callers must send `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Fixed latency added to every /v1 answer, ms. */
  latencyMs?: number;
}

export interface RunningEmulator {
  url: string;
  close(): Promise<void>;
}

/**
 * The reference upstream cloud: lookups from the deterministic corpus, file
 * details, categories, a verdict-change feed, a telemetry sink, and /admin
 * routes for tests and demos (manual verdicts, how often a key was asked).
 */
export async function startCloudEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  const corpus = new Corpus(opts.seed ?? 'ksn-emulator');
  const manual = new Map<string, Omit<UpstreamVerdict, 'key'>>();
  const asked = new Map<string, number>();
  const changes: VerdictChange[] = [];
  const changed = new EventEmitter().setMaxListeners(0);
  const telemetry: { receivedAt: string; headers: Record<string, unknown>; body: unknown }[] = [];
  const seenIdempotencyKeys = new Set<string>();
  let telemetryAccepted = 0;
  let latencyMs = opts.latencyMs ?? 0;

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ksn_emulator_' });
  const requests = new Counter({ name: 'ksn_emulator_requests_total', help: 'Requests by route and status', labelNames: ['route', 'status'] as const, registers: [registry] });
  const lookups = new Counter({ name: 'ksn_emulator_lookup_items_total', help: 'Looked-up keys by verdict', labelNames: ['verdict'] as const, registers: [registry] });

  const verdictOf = (key: string) => manual.get(key) ?? corpus.verdictOf(key);

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routeName(url.pathname);
    try {
      if (opts.apiKey && (route.startsWith('v1_') || route.startsWith('admin_')) && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        throw new HttpError('unauthorized', 'a valid API key is required');
      }
      if (route.startsWith('v1_') && latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      switch (route) {
        case 'v1_lookup': {
          const parsed = validLookup.validate(await readJson(req, 4 * 1024 * 1024));
          if (!parsed.ok) throw new HttpError('invalid_request', `${parsed.field} ${parsed.message}`, parsed.field);
          const results = parsed.value.keys.map((key, i) => {
            if (!KEY.test(key)) throw new HttpError('invalid_request', `keys[${i}] is not a normalised key`, `keys[${i}]`);
            asked.set(key, (asked.get(key) ?? 0) + 1);
            const v = verdictOf(key);
            lookups.inc({ verdict: v.verdict });
            return { key, ...v };
          });
          return sendJson(res, 200, { results });
        }
        case 'v1_details': {
          const hash = decodeURIComponent(url.pathname.split('/')[3] ?? '');
          const kind = hashKind(hash);
          if (!kind) throw new HttpError('invalid_request', 'not a SHA-256, SHA-1 or MD5 hash', 'hash');
          const key = hashKey(kind, hash);
          return sendJson(res, 200, corpus.details(key, verdictOf(key)));
        }
        case 'v1_categories':
          return sendJson(res, 200, { categories: categoryTree() });
        case 'v1_changes': {
          const since = Number(url.searchParams.get('since') ?? '0');
          const wait = Number(url.searchParams.get('wait') ?? '0');
          if (!Number.isInteger(since) || since < 0) throw new HttpError('invalid_request', 'since must be a cursor from this feed', 'since');
          if (!Number.isInteger(wait) || wait < 0 || wait > 60) throw new HttpError('invalid_request', 'wait must be 0..60 seconds', 'wait');
          if (changes.length <= since && wait > 0) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(done, wait * 1000);
              changed.once('change', done);
              res.once('close', done);
              function done() {
                clearTimeout(t);
                changed.off('change', done);
                resolve();
              }
            });
          }
          return sendJson(res, 200, { cursor: String(changes.length), changes: changes.slice(since) });
        }
        case 'v1_telemetry': {
          const body = await readBody(req, 4 * 1024 * 1024);
          const idem = req.headers['idempotency-key'];
          const duplicate = typeof idem === 'string' && seenIdempotencyKeys.has(idem);
          if (typeof idem === 'string') seenIdempotencyKeys.add(idem);
          if (!duplicate) {
            telemetryAccepted++;
            telemetry.push({ receivedAt: new Date().toISOString(), headers: { ...req.headers }, body: JSON.parse(body.toString('utf8') || 'null') as unknown });
            if (telemetry.length > 1000) telemetry.shift();
          }
          return sendJson(res, 202, { accepted: 1, duplicate });
        }
        case 'admin_verdicts': {
          const body = (await readJson(req, 64 * 1024)) as { key?: unknown; verdict?: unknown; category?: unknown };
          if (typeof body.key !== 'string' || !KEY.test(body.key)) throw new HttpError('invalid_request', 'key must be a normalised key', 'key');
          if (!['clean', 'malicious', 'suspicious', 'adware', 'unknown'].includes(body.verdict as string)) throw new HttpError('invalid_request', 'unknown verdict', 'verdict');
          const previous = verdictOf(body.key).verdict;
          const next = { verdict: body.verdict as Verdict, ...(typeof body.category === 'string' && { category: body.category }) };
          manual.set(body.key, next);
          if (previous !== next.verdict) {
            changes.push({ cursor: String(changes.length + 1), key: body.key, verdict: next.verdict, previous, at: new Date().toISOString() });
            changed.emit('change');
          }
          return sendJson(res, 200, { key: body.key, ...next });
        }
        case 'admin_asked': {
          const key = url.searchParams.get('key') ?? '';
          return sendJson(res, 200, { key, count: asked.get(key) ?? 0 });
        }
        case 'admin_stats':
          return sendJson(res, 200, { keysAsked: [...asked.values()].reduce((a, b) => a + b, 0), distinctKeys: asked.size, telemetryAccepted, changes: changes.length });
        case 'admin_telemetry':
          return sendJson(res, 200, { records: telemetry.slice(-Number(url.searchParams.get('limit') ?? '100')) });
        case 'admin_faults': {
          if (req.method === 'POST') {
            const body = (await readJson(req, 64 * 1024)) as { latencyMs?: unknown };
            if (body.latencyMs !== undefined && (!Number.isInteger(body.latencyMs) || (body.latencyMs as number) < 0)) throw new HttpError('invalid_request', 'latencyMs must be a whole number', 'latencyMs');
            if (typeof body.latencyMs === 'number') latencyMs = body.latencyMs;
          }
          return sendJson(res, 200, { latencyMs });
        }
        case 'metrics':
          res.writeHead(200, { 'content-type': registry.contentType });
          return void res.end(await registry.metrics());
        case 'healthz':
          return sendJson(res, 200, { status: 'ok' });
        case 'unmatched':
          throw new HttpError('not_found', 'no such route');
      }
    } catch (e) {
      sendError(res, e instanceof HttpError ? e : new HttpError('internal_error', String(e)));
    } finally {
      requests.inc({ route, status: String(res.statusCode) });
    }
  }

  await listen(server, opts.port, opts.host ?? '127.0.0.1');
  return {
    url: serverUrl(server),
    close: () =>
      new Promise<void>((resolve) => {
        changed.emit('change');
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type RouteName = 'v1_lookup' | 'v1_details' | 'v1_categories' | 'v1_changes' | 'v1_telemetry' | 'admin_verdicts' | 'admin_asked' | 'admin_stats' | 'admin_telemetry' | 'admin_faults' | 'metrics' | 'healthz' | 'unmatched';

function routeName(path: string): RouteName {
  if (path === '/v1/lookup') return 'v1_lookup';
  if (/^\/v1\/files\/[^/]+\/details$/.test(path)) return 'v1_details';
  if (path === '/v1/categories') return 'v1_categories';
  if (path === '/v1/changes') return 'v1_changes';
  if (path === '/v1/telemetry') return 'v1_telemetry';
  if (path === '/admin/verdicts') return 'admin_verdicts';
  if (path === '/admin/asked') return 'admin_asked';
  if (path === '/admin/stats') return 'admin_stats';
  if (path === '/admin/telemetry') return 'admin_telemetry';
  if (path === '/admin/faults') return 'admin_faults';
  if (path === '/metrics') return 'metrics';
  if (path === '/healthz') return 'healthz';
  return 'unmatched';
}
