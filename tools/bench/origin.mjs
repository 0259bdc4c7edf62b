// The benchmark origin: one tiny upstream that the proxy (POST /v1/lookup, the
// upstream protocol) and nginx / Varnish (GET /v1/files/{hash}, plain HTTP
// caching) all sit in front of, so the three are compared on the same answers
// and the same latency. Counts what reaches it, per key, so coalescing and hit
// ratios are measured at the origin rather than believed from the caches.
//   node tools/bench/origin.mjs            (prints {"event":"ready","url":…})
// Knobs (POST /admin/mode, JSON): latencyMs, fail (answer 500), ttl (seconds).
import { createServer } from 'node:http';

const state = { latencyMs: 0, fail: false, ttl: 86400, requests: 0, keys: 0, failed: 0, perKey: new Map() };
const CATEGORY = 'Golden Image/Operating Systems & Utilities/OS Components';

/** Deterministic verdict of a key (a cheap hash of its text). */
function verdictOf(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  const r = (h >>> 0) % 100;
  if (r < 58)
    return {
      key,
      verdict: 'clean',
      category: CATEGORY,
      vendor: 'Microsoft Corporation',
      certificate: 'a43489159a520f0d93d032ccaf37e7fe20a8b419',
    };
  if (r < 64) return { key, verdict: 'malicious', category: 'Malware/Trojans' };
  return { key, verdict: 'unknown' };
}

function count(key) {
  state.keys++;
  state.perKey.set(key, (state.perKey.get(key) ?? 0) + 1);
}

function later(fn) {
  if (state.latencyMs > 0) setTimeout(fn, state.latencyMs);
  else fn();
}

function body(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, obj, headers = {}) {
  const text = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://origin');
  const path = url.pathname;
  if (path === '/admin/mode' && req.method === 'POST') {
    const m = JSON.parse((await body(req)) || '{}');
    for (const k of ['latencyMs', 'fail', 'ttl']) if (m[k] !== undefined) state[k] = m[k];
    return send(res, 200, { latencyMs: state.latencyMs, fail: state.fail, ttl: state.ttl });
  }
  if (path === '/admin/stats') {
    const key = url.searchParams.get('key');
    return send(res, 200, {
      requests: state.requests,
      keys: state.keys,
      failed: state.failed,
      distinctKeys: state.perKey.size,
      key: key ? (state.perKey.get(key) ?? 0) : undefined,
    });
  }
  if (path === '/admin/reset' && req.method === 'POST') {
    Object.assign(state, { requests: 0, keys: 0, failed: 0, perKey: new Map() });
    return send(res, 200, { ok: true });
  }
  if (path === '/v1/changes') {
    // No verdict changes here: hold the long-poll for the wait asked (at most 30 s).
    const wait = Math.min(30, Number(url.searchParams.get('wait') ?? 0)) * 1000;
    const t = setTimeout(
      () => send(res, 200, { cursor: url.searchParams.get('since') ?? '0', changes: [] }),
      wait,
    );
    req.on('close', () => clearTimeout(t));
    return;
  }
  if (path === '/v1/telemetry') return send(res, 202, { accepted: 1, duplicate: 0 });
  state.requests++;
  if (path === '/v1/lookup' && req.method === 'POST') {
    const { keys } = JSON.parse(await body(req));
    keys.forEach(count);
    return later(() => {
      if (state.fail) {
        state.failed++;
        return send(res, 500, { error: 'upstream_error', message: 'benchmark origin failing on purpose' });
      }
      send(res, 200, { results: keys.map((k) => ({ ...verdictOf(k), ttl: state.ttl })) });
    });
  }
  const m = /^\/v1\/files\/([0-9a-fA-F]{32,64})$/.exec(path);
  if (m && req.method === 'GET') {
    const key = `sha256:${m[1].toLowerCase()}`;
    count(key);
    return later(() => {
      if (state.fail) {
        state.failed++;
        return send(res, 500, { error: 'upstream_error', message: 'benchmark origin failing on purpose' });
      }
      const v = verdictOf(key);
      send(
        res,
        200,
        { ...v, decision: v.verdict === 'malicious' ? 'block' : 'allow', source: 'upstream', ttl: state.ttl },
        { 'cache-control': `max-age=${state.ttl}` },
      );
    });
  }
  send(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
});
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ event: 'ready', service: 'bench-origin', url: `http://127.0.0.1:${server.address().port}` })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
