// `npm run demo`: the product as `npm start` runs it (tools/start.mjs is started as a
// child and its banner parsed, so `npm start` itself is untouched), plus simulated
// endpoints, so a new user sees a live console within a minute:
//   - three demo groups under the root, each with its own policy, created through the
//     security-center API (admin login, CSRF header): "Demo workstations" (all cloud
//     lookups, extended KSN), "Demo servers" (basic KSN: lookups only, nothing sent, so
//     their telemetry is refused), "Demo kiosks" (web lookups off, application control
//     default-deny except Golden Image); plus the default group;
//   - DEMO_DEVICES devices enrolled for real with enrolment tokens of those groups;
//   - Zipf-distributed lookups (a few objects are asked very often, most rarely, as in a
//     real network, so the proxy's cache earns its keep) and telemetry, DEMO_RATE
//     requests per second in all, until Ctrl-C (or DEMO_DURATION_SECONDS).
// Without the admin password (only shown at the first start; kept for the demo in
// data/demo-secrets.json, or set ADMIN_PASSWORD) the demo runs on the default group only.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const DATA = join(ROOT, env.KSN_DATA_DIR ?? 'data');
const DEVICES = intEnv('DEMO_DEVICES', 12, 1, 1000);
const RATE = intEnv('DEMO_RATE', 20, 1, 2000);
const DURATION = intEnv('DEMO_DURATION_SECONDS', 0, 0, 86400);
const VERBOSE = env.DEMO_VERBOSE === '1';

function intEnv(name, dflt, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`demo: ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const log = (msg) => console.log(`[demo] ${msg}`);

// ─── The product, through tools/start.mjs ───────────────────────────────────

function startProduct() {
  const child = spawn(process.execPath, [join(ROOT, 'tools', 'start.mjs')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const info = { consoleUrl: undefined, proxyUrl: undefined, proxyAdminUrl: undefined, password: undefined };
  let ready = false;
  const ended = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const started = new Promise((resolve, reject) => {
    const onLine = (line) => {
      let m;
      if ((m = /^\s*Console:\s+(\S+?)\/?$/.exec(line))) info.consoleUrl = m[1];
      else if ((m = /^\s*Log in:\s+user admin, password (\S+)\s+\(shown only this once\)/.exec(line)))
        info.password = m[1];
      else if ((m = /^\s*Proxy:\s+(\S+)\s+\(metrics: (\S+)\/metrics\)/.exec(line)))
        [info.proxyUrl, info.proxyAdminUrl] = [m[1], m[2]];
      // Service logs are noisy once the demo runs: shown until ready, or always with DEMO_VERBOSE=1.
      if (!ready || VERBOSE || !line.startsWith('[')) process.stdout.write(`${line}\n`);
      if (line.includes('KSN Enterprise is running.')) {
        ready = true;
        // The banner's last lines follow; give them a moment.
        setTimeout(
          () =>
            info.consoleUrl && info.proxyUrl
              ? resolve(info)
              : reject(new Error('could not read the URLs from the npm start banner')),
          200,
        );
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', (l) => process.stderr.write(`${l}\n`));
    void ended.then(({ code }) =>
      reject(new Error(`npm start exited (code ${code}) before the product was running`)),
    );
  });
  return {
    started,
    ended,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await ended;
      clearTimeout(timer);
    },
  };
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

/** The admin password: from this start's banner (then kept for later demos), ADMIN_PASSWORD, or kept before. */
function adminPassword(fromBanner) {
  const file = join(DATA, 'demo-secrets.json');
  if (fromBanner) {
    writeFileSync(file, JSON.stringify({ adminPassword: fromBanner }, null, 2), { mode: 0o600 });
    return fromBanner;
  }
  return (
    env.ADMIN_PASSWORD ||
    readJson(join(DATA, 'local-secrets.json')).adminPassword ||
    readJson(file).adminPassword
  );
}

// ─── Security Center API as the admin ───────────────────────────────────────

async function call(method, url, { body, headers = {}, token } = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token && { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, headers: res.headers };
}

async function adminSession(center, password) {
  const login = await call('POST', `${center}/api/v1/auth/login`, { body: { username: 'admin', password } });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.json?.error ?? ''}`);
  const cookie = (login.headers.getSetCookie?.() ?? [login.headers.get('set-cookie') ?? ''])
    .map((c) => c.split(';')[0])
    .join('; ');
  const me = await call('GET', `${center}/api/v1/auth/me`, { headers: { cookie } });
  if (me.status !== 200) throw new Error(`admin session: ${me.status}`);
  const headers = { cookie, 'x-csrf-token': me.json.csrfToken };
  return (method, path, body) => call(method, `${center}${path}`, { body, headers });
}

const ALL_MODULES = [
  'file-threat-protection',
  'web-threat-protection',
  'mail-threat-protection',
  'behavior-detection',
  'exploit-prevention',
  'host-intrusion-prevention',
  'application-control',
  'anti-spam',
];
const modules = (off = []) => ({
  modules: Object.fromEntries(ALL_MODULES.map((m) => [m, !off.includes(m)])),
});

const DEMO_GROUPS = [
  {
    name: 'Demo workstations',
    policy: {
      cloud: modules(),
      ksn: { participation: 'extended', sending: { statistics: true, detectedObjects: true, urls: true } },
      locked: [],
    },
  },
  {
    name: 'Demo servers',
    policy: {
      cloud: modules(),
      ksn: { participation: 'basic', sending: { statistics: false, detectedObjects: false, urls: false } },
      locked: ['ksn'],
    },
  },
  {
    name: 'Demo kiosks',
    policy: {
      cloud: modules(['web-threat-protection']),
      ksn: { participation: 'extended', sending: { statistics: true, detectedObjects: false, urls: false } },
      appControl: {
        mode: 'default-deny',
        testMode: false,
        rules: [
          {
            action: 'allow',
            status: 'on',
            match: { kind: 'category', path: 'Golden Image' },
            comment: 'demo: only the operating system',
          },
        ],
      },
      locked: [],
    },
  },
];

/** Demo groups with their policies (created once, reused later); undefined when the API is not there. */
async function demoGroups(admin) {
  const list = await admin('GET', '/api/v1/groups');
  if (list.status !== 200 || !Array.isArray(list.json)) throw new Error(`GET /api/v1/groups: ${list.status}`);
  const root = list.json.find((g) => g.parentId === null);
  const out = [];
  for (const spec of DEMO_GROUPS) {
    let group = list.json.find((g) => g.name === spec.name && g.parentId === root.id);
    if (!group) {
      const made = await admin('POST', '/api/v1/groups', { name: spec.name, parentId: root.id });
      if (made.status !== 201 && made.status !== 200)
        throw new Error(`create group ${spec.name}: ${made.status} ${made.json?.message ?? ''}`);
      group = made.json;
    }
    const current = await admin('GET', `/api/v1/groups/${group.id}/policy`);
    if (current.status !== 200) throw new Error(`GET policy of ${spec.name}: ${current.status}`);
    const put = await admin('PUT', `/api/v1/groups/${group.id}/policy`, {
      version: current.json.version,
      policy: spec.policy,
    });
    if (put.status !== 200)
      throw new Error(
        `set policy of ${spec.name}: ${put.status} ${put.json?.message ?? ''} ${put.json?.field ?? ''}`,
      );
    const token = await admin('POST', '/api/v1/enrolment-tokens', {
      label: `demo ${spec.name}`,
      groupId: group.id,
    });
    if (token.status !== 201 && token.status !== 200)
      throw new Error(`enrolment token for ${spec.name}: ${token.status} ${token.json?.message ?? ''}`);
    out.push({ name: spec.name, enrolmentToken: token.json.token });
  }
  return { root, groups: out };
}

// ─── Simulated endpoints ────────────────────────────────────────────────────

const EICAR = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';

/** The objects endpoints ask about, most popular first: files (by SHA-256) and URLs. */
function corpus(size) {
  const objects = [{ type: 'file', md5: REGEDIT_MD5 }];
  for (let i = 0; objects.length < size; i++) {
    if (i % 5 === 4)
      objects.push({
        type: 'url',
        url: `https://site${i}.demo.example/${i % 7 === 0 ? 'download' : 'index'}.html`,
      });
    else
      objects.push({ type: 'file', sha256: createHash('sha256').update(`demo object ${i}`).digest('hex') });
    if (i === 40) objects.push({ type: 'file', sha256: EICAR });
  }
  return objects;
}

/** Zipf(s) over ranks 1..n by inverse CDF: rank r has weight 1/r^s. */
function zipf(n, s, random = Math.random) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf[r - 1] = sum += 1 / r ** s;
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

function newStats() {
  return {
    requests: 0,
    items: 0,
    bySource: {},
    byDecision: {},
    refusedModule: 0,
    errors: 0,
    telemetry: { forwarded: 0, refused: 0, other: 0 },
    lastError: undefined,
  };
}

async function lookupOnce(proxy, device, pick, objects, stats) {
  const n = 1 + Math.floor(Math.random() * 8);
  const items = [];
  const seen = new Set();
  while (items.length < n) {
    const i = pick();
    if (!seen.has(i)) {
      seen.add(i);
      items.push(objects[i]);
    }
  }
  // One module per request: URLs go to web threat protection, files to file threat protection.
  const urls = items.filter((o) => o.type === 'url');
  const files = items.filter((o) => o.type === 'file');
  for (const [module, batch] of [
    ['web-threat-protection', urls],
    ['file-threat-protection', files],
  ]) {
    if (batch.length === 0) continue;
    stats.requests++;
    const res = await call('POST', `${proxy}/v1/lookup`, {
      token: device.token,
      body: { module, items: batch },
    });
    if (res.status === 200) {
      for (const r of res.json.results) {
        stats.items++;
        stats.bySource[r.source] = (stats.bySource[r.source] ?? 0) + 1;
        stats.byDecision[r.decision] = (stats.byDecision[r.decision] ?? 0) + 1;
      }
    } else if (res.status === 403 && res.json?.error === 'cloud_disabled_for_module') stats.refusedModule++;
    else {
      stats.errors++;
      stats.lastError = `lookup ${res.status} ${res.json?.error ?? ''}`;
    }
  }
}

async function telemetryOnce(proxy, device, stats) {
  const res = await call('POST', `${proxy}/v1/telemetry`, {
    token: device.token,
    body: {
      kind: 'statistics',
      records: [
        { event: 'scan-finished', objects: 100 + Math.floor(Math.random() * 900), device: device.name },
      ],
    },
  });
  if (res.status === 200 || res.status === 202 || res.status === 204) stats.telemetry.forwarded++;
  else if (res.status === 403 && res.json?.error === 'sending_disabled') stats.telemetry.refused++;
  else if (res.status === 404) device.noTelemetry = true;
  else stats.telemetry.other++;
}

function report(stats, since) {
  const secs = Math.max(1, (Date.now() - since) / 1000);
  const hits = (stats.bySource.cache ?? 0) + (stats.bySource.override ?? 0);
  const ratio = stats.items ? Math.round((100 * hits) / stats.items) : 0;
  const d = stats.byDecision;
  log(
    `${stats.requests} lookups (${(stats.requests / secs).toFixed(1)}/s), ${stats.items} objects: ${ratio}% from cache, ` +
      `allow ${d.allow ?? 0} / block ${d.block ?? 0} / audit ${d.audit ?? 0}; module off by policy ${stats.refusedModule}; ` +
      `telemetry forwarded ${stats.telemetry.forwarded}, refused by policy ${stats.telemetry.refused}; errors ${stats.errors}` +
      (stats.lastError ? ` (last: ${stats.lastError})` : ''),
  );
}

// ─── Main ───────────────────────────────────────────────────────────────────

async function main() {
  const product = startProduct();
  let stopping = false;
  let traffic;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    clearInterval(traffic);
    await product.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let info;
  try {
    info = await product.started;
  } catch (e) {
    console.error(`demo: ${e.message}`);
    await shutdown(1);
    return;
  }
  void product.ended.then(({ code }) => {
    if (!stopping) {
      console.error(`demo: the product stopped (code ${code})`);
      void shutdown(1);
    }
  });

  const center = info.consoleUrl.replace('://localhost', '://127.0.0.1');
  const secrets = readJson(join(DATA, 'local-secrets.json'));
  const targets = [{ name: 'default group', enrolmentToken: secrets.enrolmentToken }];
  let groupsNote = 'default group only';
  const password = adminPassword(info.password);
  if (!password) {
    groupsNote =
      'default group only: the admin password is unknown (set ADMIN_PASSWORD, or delete data/ and start again)';
  } else {
    try {
      const admin = await adminSession(center, password);
      const { groups } = await demoGroups(admin);
      targets.push(...groups);
      groupsNote = `${groups.length} demo groups with their own policies + the default group`;
    } catch (e) {
      groupsNote = `default group only: could not set up demo groups (${e.message})`;
    }
  }
  log(groupsNote);

  const devices = [];
  for (let i = 0; i < DEVICES; i++) {
    const target = targets[i % targets.length];
    const name = `demo-${target.name.replace(/\W+/g, '-').toLowerCase()}-${String(i + 1).padStart(3, '0')}`;
    const res = await call('POST', `${center}/api/v1/enrol`, {
      body: { enrolmentToken: target.enrolmentToken, deviceName: name },
    });
    if (res.status !== 201 && res.status !== 200) {
      console.error(`demo: enrolment of ${name} failed: ${res.status} ${res.json?.message ?? ''}`);
      await shutdown(1);
      return;
    }
    devices.push({ name, group: target.name, token: res.json.token, noTelemetry: false });
  }
  log(`${devices.length} devices enrolled (${targets.map((t) => t.name).join(', ')})`);

  // The proxy learns new groups from its next policy snapshot (a long-poll, normally within
  // 2 s); until then it refuses their devices (403 forbidden). Wait for it, so that every
  // answer below is the one the group's policy gives.
  const deadline = Date.now() + 30_000;
  for (const device of devices) {
    while ((await call('GET', `${info.proxyUrl}/v1/policy`, { token: device.token })).status !== 200) {
      if (Date.now() > deadline) {
        log(`the proxy has not received the policy of ${device.group} yet; going on`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const objects = corpus(5000);
  const pick = zipf(objects.length, 1.1);
  const stats = newStats();
  const since = Date.now();
  log(
    `sending ${RATE} requests/s (Zipf over ${objects.length} objects). Console: ${info.consoleUrl}/  — Ctrl-C stops.`,
  );

  let inFlight = 0;
  let tick = 0;
  // Telemetry goes round the devices in turn, so every group's policy on sending is exercised.
  let telemetryTurn = 0;
  const perTick = RATE / 10;
  let carry = 0;
  traffic = setInterval(() => {
    tick++;
    carry += perTick;
    const n = Math.floor(carry);
    carry -= n;
    for (let i = 0; i < n && inFlight < 200; i++) {
      inFlight++;
      // One request in ten carries telemetry.
      const sender = Math.random() < 0.1 ? devices[telemetryTurn++ % devices.length] : undefined;
      const work =
        sender !== undefined && !sender.noTelemetry
          ? telemetryOnce(info.proxyUrl, sender, stats)
          : lookupOnce(
              info.proxyUrl,
              devices[Math.floor(Math.random() * devices.length)],
              pick,
              objects,
              stats,
            );
      void work
        .catch((e) => {
          stats.errors++;
          stats.lastError = e.message;
        })
        .finally(() => inFlight--);
    }
    if (tick % 100 === 0) report(stats, since);
    if (DURATION > 0 && Date.now() - since >= DURATION * 1000 && !stopping) {
      clearInterval(traffic);
      void (async () => {
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));
        report(stats, since);
        console.log(
          JSON.stringify({
            event: 'demo-summary',
            devices: devices.length,
            groups: targets.map((t) => t.name),
            groupsNote,
            ...stats,
          }),
        );
        await shutdown(stats.requests > 0 && stats.errors === 0 ? 0 : 1);
      })();
    }
  }, 100);
}

if (existsSync(join(ROOT, 'tools', 'start.mjs'))) void main();
else console.error('demo: tools/start.mjs not found');
