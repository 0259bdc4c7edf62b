// Starting and stopping what the benchmark measures: the origin, security-center,
// ksn-proxy, nginx (proxy_cache) and Varnish, each pinned to a core with taskset.
// Loopback only: everything binds 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import stack from '../stack.js';

const { untilReady } = stack;

export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';

/** A free loopback port (bind to 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `cmd args` pinned to `core` (tools/stack.js startProcess), logging its output
 * lines prefixed with its name. Ready on its `{"event":"ready"…}` line, or when `probe()`
 * succeeds.
 */
export function startProcess(
  name,
  cmd,
  args,
  { core, env = {}, probe, log = () => undefined, timeoutMs } = {},
) {
  return stack.startProcess(name, [cmd, ...args], {
    core,
    env,
    probe,
    timeoutMs,
    onLine: (line) => log(`[${name}] ${line}`),
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function httpOk(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
  await r.arrayBuffer();
  return r.status < 500;
}

/** A tools/bench script that prints a ready line with its URL, pinned to `core`. */
async function startBenchScript(root, name, script, core, log) {
  const p = startProcess(name, process.execPath, [join(root, 'tools/bench', script)], {
    core,
    log,
  });
  const { url } = await p.ready;
  return { ...p, url };
}

/** tools/bench/floor.mjs on the server core: what node:http alone answers per second. */
export function startNodeFloor(root, log) {
  return startBenchScript(root, 'node:http floor', 'floor.mjs', SERVER_CORE, log);
}

export async function startOrigin(root, log) {
  const origin = await startBenchScript(root, 'origin', 'origin.mjs', CLIENT_CORE, log);
  return {
    ...origin,
    mode: (m) => post(`${origin.url}/admin/mode`, m),
    reset: () => post(`${origin.url}/admin/reset`, {}),
    stats: (key) => getJson(`${origin.url}/admin/stats${key ? `?key=${key}` : ''}`),
  };
}

export async function post(url, body, headers = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status >= 400) throw new Error(`POST ${url}: ${r.status} ${text}`);
  return { json: text ? JSON.parse(text) : undefined, headers: r.headers };
}

export async function getJson(url) {
  const r = await fetch(url);
  return r.json();
}

/**
 * Security-center starts on the client core: while the proxy is measured it is part of
 * the environment (it takes the proxy's heartbeats, up to 1,000 unknown objects each, and
 * would otherwise take CPU from the server under test); `pinTo` moves it to the server
 * core for its own workload.
 */
export async function startSecurityCenter(root, dir, secrets, log) {
  const port = await freePort();
  const p = startProcess(
    'security-center',
    process.execPath,
    [join(root, 'apps/security-center/dist/main.js')],
    {
      core: CLIENT_CORE,
      log,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'sc.sqlite')}`,
        BOOTSTRAP_PROXY_API_KEY: secrets.proxyApiKey,
        BOOTSTRAP_ENROLMENT_TOKEN: secrets.enrolmentToken,
        ADMIN_PASSWORD: secrets.adminPassword,
        LOG_LEVEL: 'warn',
      },
    },
  );
  const ready = await p.ready;
  return { ...p, url: ready.url ?? `http://127.0.0.1:${port}` };
}

/** Moves a running process (all its threads) to `core`. */
export function pinTo(pid, core) {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
}

export async function startProxy(root, dir, { scUrl, originUrl, secrets, env = {}, nodeArgs = [], log }) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dataDir = join(dir, `proxy-${port}`);
  mkdirSync(dataDir, { recursive: true });
  const p = startProcess(
    'ksn-proxy',
    process.execPath,
    [...nodeArgs, join(root, 'apps/ksn-proxy/dist/main.js')],
    {
      core: SERVER_CORE,
      log,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_PORT: String(adminPort),
        KSN_UPSTREAM_URL: originUrl,
        SECURITY_CENTER_URL: scUrl,
        PROXY_API_KEY: secrets.proxyApiKey,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        UPSTREAM_MAX_PENDING_KEYS: '1000000',
        UPSTREAM_CONNECTIONS: '64',
        ...env,
      },
    },
  );
  const ready = await p.ready;
  const url = ready.url ?? `http://127.0.0.1:${port}`;
  const adminUrl = ready.adminUrl ?? `http://127.0.0.1:${adminPort}`;
  // Ready means listening; wait until it has a snapshot (readyz) so lookups are answered.
  await untilReady(`${adminUrl}/readyz`, 30_000);
  return { ...p, url, adminUrl };
}

export async function startNginx(dir, originUrl, { port, log, zoneMb = 64 }) {
  const base = join(dir, `nginx-${port}`);
  mkdirSync(join(base, 'cache'), { recursive: true });
  mkdirSync(join(base, 'tmp'), { recursive: true });
  const origin = originUrl.replace(/^http:\/\//, '');
  const conf = `worker_processes 1;
daemon off;
master_process off;
error_log ${base}/error.log warn;
pid ${base}/nginx.pid;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${base}/tmp/body;
  proxy_temp_path ${base}/tmp/proxy;
  fastcgi_temp_path ${base}/tmp/fastcgi;
  uwsgi_temp_path ${base}/tmp/uwsgi;
  scgi_temp_path ${base}/tmp/scgi;
  proxy_cache_path ${base}/cache levels=1:2 keys_zone=verdicts:${zoneMb}m max_size=4g inactive=1d use_temp_path=off;
  upstream origin { server ${origin}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    keepalive_requests 1000000;
    location /v1/files/ {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache verdicts;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 30s;
      proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
      proxy_cache_background_update on;
    }
  }
}
`;
  writeFileSync(join(base, 'nginx.conf'), conf);
  const p = startProcess('nginx', 'nginx', ['-p', base, '-c', join(base, 'nginx.conf')], {
    core: SERVER_CORE,
    log,
    probe: () => httpOk(`http://127.0.0.1:${port}/nope`),
  });
  await p.ready;
  return { ...p, url: `http://127.0.0.1:${port}` };
}

export async function startVarnish(dir, originUrl, { port, log }) {
  const base = join(dir, `varnish-${port}`);
  mkdirSync(base, { recursive: true });
  const { hostname, port: oport } = new URL(originUrl);
  const vcl = `vcl 4.1;
backend origin { .host = "${hostname}"; .port = "${oport}"; }
sub vcl_backend_response {
  # Keep expired verdicts for an hour and serve them while the origin fails.
  set beresp.grace = 1h;
  if (beresp.status >= 500 && bereq.is_bgfetch) { return (abandon); }
}
`;
  writeFileSync(join(base, 'default.vcl'), vcl);
  const p = startProcess(
    'varnishd',
    'varnishd',
    [
      '-F',
      '-j',
      'none',
      '-a',
      `127.0.0.1:${port}`,
      '-f',
      join(base, 'default.vcl'),
      '-n',
      base,
      '-s',
      'malloc,1g',
      '-p',
      'thread_pools=1',
    ],
    {
      core: SERVER_CORE,
      log,
      probe: () => httpOk(`http://127.0.0.1:${port}/nope`),
    },
  );
  await p.ready;
  return { ...p, url: `http://127.0.0.1:${port}` };
}

/** Machine facts for the report. */
export function machine() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (e) {
      return (e.stderr ?? '').toString().trim() || 'n/a';
    }
  };
  const cpu = sh('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).trim();
  return {
    cpu,
    cores: Number(sh('nproc', [])),
    memory: sh('sh', ['-c', 'grep MemTotal /proc/meminfo | awk \'{print $2/1024/1024 " GiB"}\'']),
    kernel: sh('uname', ['-r']),
    node: process.version,
    // These print their versions on stderr.
    nginx: sh('sh', ['-c', 'nginx -v 2>&1']).replace('nginx version: ', ''),
    varnish: sh('sh', ['-c', 'varnishd -V 2>&1']).split('\n')[0],
    wrk: sh('sh', ['-c', 'wrk -v 2>&1; true']).split('\n')[0],
    load: sh('cat', ['/proc/loadavg']),
  };
}
