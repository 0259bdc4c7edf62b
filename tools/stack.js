// Starts the product's services as child processes and waits for each one's
// ready line (a JSON object with event "ready" on stdout; see
// libs/service-kit/src/lifecycle.ts). Used by `npm start` (tools/start.mjs)
// and by the end-to-end tests (e2e/).
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const readline = require('node:readline');

const ROOT = join(__dirname, '..');
const ENTRIES = {
  'cloud-emulator': 'apps/cloud-emulator/dist/main.js',
  'security-center': 'apps/security-center/dist/main.js',
  'ksn-proxy': 'apps/ksn-proxy/dist/main.js',
};

/**
 * @param {keyof typeof ENTRIES} name
 * @param {Record<string, string>} env
 * @param {{ onLine?: (line: string) => void, timeoutMs?: number, cwd?: string }} [opts]
 */
function startService(name, env, opts = {}) {
  const child = spawn(process.execPath, [join(ROOT, ENTRIES[name])], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: a terminal's Ctrl-C reaches only the launcher, which
    // then stops the services once each, in order (a second signal would make them exit at once).
    detached: true,
  });
  // If the launcher itself dies, do not leave services behind.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const onLine = opts.onLine ?? (() => undefined);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', orphanGuard);
      resolve({ code, signal });
    }),
  );
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${opts.timeoutMs ?? 60000} ms`)), opts.timeoutMs ?? 60000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{"event":"ready"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      } else onLine(line);
    });
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  return {
    name,
    child,
    ready,
    exited,
    /** SIGTERM, then SIGKILL after graceMs. */
    async stop(graceMs = 10000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

module.exports = { startService, ROOT };
