// `npm start`: builds what is needed, then runs the whole product on embedded
// defaults: cloud emulator (upstream), security-center (SQLite under ./data,
// serving the console) and a ksn-proxy registered with it. Ctrl-C stops all.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { startService, untilReady, ROOT } = require('./stack.js');

const env = process.env;
const DATA = join(ROOT, env.KSN_DATA_DIR ?? 'data');
const ports = {
  emulator: env.EMULATOR_PORT ?? '13180',
  center: env.SECURITY_CENTER_PORT ?? '8080',
  proxy: env.PROXY_PORT ?? '13111',
  proxyAdmin: env.PROXY_ADMIN_PORT ?? '13112',
};

function build() {
  if (env.KSN_SKIP_BUILD === '1') return;
  console.log('Building (incremental; the first build takes a minute or two)…');
  execFileSync(
    process.execPath,
    [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'build', '--output-style=static'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
    },
  );
}

/** Secrets shared by the local services, made once and kept (mode 0600) so a restart reuses them. */
function localSecrets() {
  mkdirSync(DATA, { recursive: true, mode: 0o700 });
  const file = join(DATA, 'local-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    proxyApiKey: `kp_${randomBytes(24).toString('base64url')}`,
    enrolmentToken: `ke_${randomBytes(24).toString('base64url')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function login(generated) {
  if (generated) return `user admin, password ${generated}   (shown only this once)`;
  if (env.ADMIN_PASSWORD) return 'user admin, password from ADMIN_PASSWORD';
  return 'user admin, with the password shown at the first start (forgotten? stop, delete data/, start again)';
}

const prefix = (name) => (line) => process.stdout.write(`[${name}] ${line}\n`);

async function main() {
  build();
  const secrets = localSecrets();
  const services = [];
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    for (const s of [...services].reverse()) await s.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const emulator = startService(
      'cloud-emulator',
      { PORT: ports.emulator, HOST: '127.0.0.1' },
      { onLine: prefix('cloud-emulator') },
    );
    services.push(emulator);
    const upstream = await emulator.ready;

    let adminPassword;
    const centerLog = prefix('security-center');
    const center = startService(
      'security-center',
      {
        PORT: ports.center,
        DATABASE_URL: env.DATABASE_URL ?? `sqlite:${join(DATA, 'security-center.sqlite')}`,
        BOOTSTRAP_PROXY_API_KEY: secrets.proxyApiKey,
        BOOTSTRAP_ENROLMENT_TOKEN: secrets.enrolmentToken,
      },
      {
        onLine: (line) => {
          const m = /^\s+password: (\S+)$/.exec(line);
          if (m) adminPassword = m[1];
          centerLog(line);
        },
      },
    );
    services.push(center);
    const sc = await center.ready;

    const proxy = startService(
      'ksn-proxy',
      {
        PORT: ports.proxy,
        ADMIN_PORT: ports.proxyAdmin,
        KSN_UPSTREAM_URL: upstream.url,
        SECURITY_CENTER_URL: sc.url,
        PROXY_API_KEY: secrets.proxyApiKey,
        DATA_DIR: join(DATA, 'ksn-proxy'),
      },
      { onLine: prefix('ksn-proxy') },
    );
    services.push(proxy);
    const px = await proxy.ready;
    // Lookups are answered once the proxy has its first policy snapshot: print the URLs then.
    await untilReady(`${px.adminUrl}/readyz`, 60_000);

    for (const s of services) {
      void s.exited.then(({ code }) => {
        if (!stopping) {
          console.error(`${s.name} exited unexpectedly (code ${code}); stopping the rest.`);
          void stopAll(1);
        }
      });
    }

    const consoleUrl = sc.url.replace('127.0.0.1', 'localhost');
    console.log(`
────────────────────────────────────────────────────────────────────
 KSN Enterprise is running.

 Console:   ${consoleUrl}/
 Log in:    ${login(adminPassword)}
 Proxy:     ${px.url}   (metrics: ${px.adminUrl}/metrics)
 Upstream:  ${upstream.url} (cloud emulator)
 Data:      ${DATA}

 Try it — enrol a device, then look up EICAR, regedit.exe and a URL:

   TOKEN=$(curl -s -X POST ${sc.url}/api/v1/enrol -H 'content-type: application/json' \\
     -d '{"enrolmentToken":"${secrets.enrolmentToken}","deviceName":"my-laptop"}' | sed -E 's/.*"token":"([^"]+)".*/\\1/')
   curl -s -X POST ${px.url}/v1/lookup -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
     -d '{"module":"file-threat-protection","items":[{"type":"file","sha256":"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"},{"type":"file","md5":"2e2c937846a0b8789e5e91739284d17a"},{"type":"url","url":"http://www.example.com/"}]}'

 Ctrl-C stops everything; the next npm start reuses the data.
────────────────────────────────────────────────────────────────────
`);
  } catch (e) {
    console.error(`Start failed: ${e.message}`);
    await stopAll(1);
  }
}

void main();
