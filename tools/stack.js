// Starts the product's services as child processes and waits for each one's
// ready line (a JSON object with event "ready" on stdout; see
// libs/service-kit/src/lifecycle.ts). Used by `npm start` (tools/start.mjs);
// `startStack` (the whole product on free ports and a fresh SQLite database) is
// shared by the end-to-end tests (e2e/), the CLI's tests, the ops checks and the
// screenshot tool.
'use strict';
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const readline = require('node:readline');

const ROOT = join(__dirname, '..');
const ENTRIES = {
  'cloud-emulator': 'apps/cloud-emulator/dist/main.js',
  'security-center': 'apps/security-center/dist/main.js',
  'ksn-proxy': 'apps/ksn-proxy/dist/main.js',
};

/**
 * Spawns `argv` (pinned to a CPU core with taskset when `core` is given) in a process
 * group of its own and resolves `ready` with its JSON ready line (`{"event":"ready",…}`
 * on stdout) or, when `probe` is given, once `probe()` answers true. A terminal's Ctrl-C
 * reaches only the launcher, which then stops each process once, in order (a second
 * signal would make a service exit at once); `stop` signals the whole group, so a
 * server's worker processes (nginx, Varnish) go with it. Shared by `npm start`, the
 * test stacks and the benchmark (tools/bench/servers.mjs).
 * @param {string} name
 * @param {string[]} argv
 * @param {{ env?: Record<string, string>, cwd?: string, core?: string, probe?: () => Promise<boolean>,
 *   onLine?: (line: string) => void, timeoutMs?: number }} [opts]
 */
function startProcess(name, argv, opts = {}) {
  const command = opts.core === undefined ? argv : ['taskset', '-c', opts.core, ...argv];
  const child = spawn(command[0], command.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  // If the launcher itself dies, do not leave processes behind.
  const orphanGuard = () => signalGroup('SIGKILL');
  process.once('exit', orphanGuard);
  const onLine = opts.onLine ?? (() => undefined);
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    onLine(line);
  };
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', orphanGuard);
      resolve({ code, signal });
    }),
  );
  const timeoutMs = opts.timeoutMs ?? 60000;
  const ready = new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const timer = setTimeout(
      () => settle(reject, new Error(`${name} not ready within ${timeoutMs} ms:\n${tail.join('\n')}`)),
      timeoutMs,
    );
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (!opts.probe && line.startsWith('{"event":"ready"')) settle(resolve, JSON.parse(line));
      else keep(line);
    });
    readline.createInterface({ input: child.stderr }).on('line', keep);
    void exited.then(({ code, signal }) =>
      settle(
        reject,
        new Error(`${name} exited before it was ready (code ${code}, signal ${signal}):\n${tail.join('\n')}`),
      ),
    );
    if (opts.probe) {
      const poll = async () => {
        while (!settled) {
          if (await opts.probe().catch(() => false)) settle(resolve, {});
          else await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll();
    }
  });
  ready.catch(() => undefined);
  return {
    name,
    child,
    ready,
    exited,
    /** SIGTERM to the process group, then SIGKILL after graceMs. */
    async stop(graceMs = 10000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * One of the product's built services (see `startProcess`).
 * @param {keyof typeof ENTRIES} name
 * @param {Record<string, string>} env
 * @param {{ onLine?: (line: string) => void, timeoutMs?: number, cwd?: string }} [opts]
 */
function startService(name, env, opts = {}) {
  return startProcess(name, [process.execPath, join(ROOT, ENTRIES[name])], { ...opts, env });
}

/** Polls a readiness URL until it answers 200, or fails after timeoutMs with its last answer. */
async function untilReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The whole product as real processes (built apps) on free loopback ports, on a fresh
 * SQLite database in a temporary directory: emulator → security-center → proxy.
 * @param {{
 *   proxyKey: string, enrolmentToken: string, adminPassword: string,
 *   center?: Record<string, string>, proxy?: Record<string, string>, emulator?: Record<string, string>,
 *   onLine?: (line: string) => void, readyTimeoutMs?: number,
 * }} opts
 */
async function startStack(opts) {
  const dir = mkdtempSync(join(tmpdir(), 'ksn-stack-'));
  const logs = [];
  const services = [];
  const keep = (name) => (line) => {
    logs.push(`[${name}] ${line}`);
    opts.onLine?.(`[${name}] ${line}`);
  };
  const stop = async () => {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const emulator = startService(
      'cloud-emulator',
      { PORT: '0', HOST: '127.0.0.1', ...opts.emulator },
      { onLine: keep('cloud-emulator') },
    );
    services.push(emulator);
    const up = await emulator.ready;
    const center = startService(
      'security-center',
      {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(dir, 'sc.sqlite')}`,
        ADMIN_PASSWORD: opts.adminPassword,
        BOOTSTRAP_PROXY_API_KEY: opts.proxyKey,
        BOOTSTRAP_ENROLMENT_TOKEN: opts.enrolmentToken,
        // Category sync and the console's reputation lookup ask the same upstream as the proxy.
        KSN_UPSTREAM_URL: up.url,
        ...opts.center,
      },
      { onLine: keep('security-center') },
    );
    services.push(center);
    const sc = await center.ready;
    const proxy = startService(
      'ksn-proxy',
      {
        PORT: '0',
        ADMIN_PORT: '0',
        HOST: '127.0.0.1',
        KSN_UPSTREAM_URL: up.url,
        SECURITY_CENTER_URL: sc.url,
        PROXY_API_KEY: opts.proxyKey,
        DATA_DIR: join(dir, 'proxy'),
        ...opts.proxy,
      },
      { onLine: keep('ksn-proxy') },
    );
    services.push(proxy);
    const px = await proxy.ready;
    // The proxy listens before its first policy snapshot arrives (lookups get 503 `unavailable`
    // until then); the stack is ready when the proxy is.
    await untilReady(`${px.adminUrl}/readyz`, opts.readyTimeoutMs ?? 60000);
    return {
      dir,
      emulatorUrl: up.url,
      centerUrl: sc.url,
      proxyUrl: px.url,
      proxyAdminUrl: px.adminUrl,
      logs,
      stop,
    };
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n${logs.join('\n')}`);
  }
}

module.exports = { startProcess, startService, startStack, untilReady, ROOT };
