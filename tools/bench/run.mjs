// `npm run bench` → node tools/bench/run.mjs [--quick] [--only w1,w3,...] [--no-build] [--skip-sim]
// Runs ksn-proxy, nginx proxy_cache and Varnish in front of the same origin
// (tools/bench/origin.mjs), each server pinned to core 0 and wrk (tools/bench/load.lua)
// on core 1, through the workloads of issue 7, and writes docs/performance.md and
// tools/bench/results/latest.json. Loopback only.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport } from './report.mjs';
import {
  CLIENT_CORE,
  SERVER_CORE,
  freePort,
  machine,
  post,
  sleep,
  startNginx,
  startNodeFloor,
  startOrigin,
  startProxy,
  startSecurityCenter,
  pinTo,
  startVarnish,
} from './servers.mjs';
import { simulate } from './sim.mjs';
import { hashOfRank } from './zipf.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only'));
const ONLY = onlyArg
  ? new Set((onlyArg.includes('=') ? onlyArg.split('=')[1] : argv[argv.indexOf(onlyArg) + 1]).split(','))
  : undefined;
const want = (w) => !ONLY || ONLY.has(w);
const VERBOSE = argv.includes('--verbose');
// --profile: ksn-proxy runs with node --cpu-prof; profiles land in tools/bench/results/profiles.
const PROFILE_DIR = argv.includes('--profile') ? join(ROOT, 'tools/bench/results/profiles') : undefined;
const D = QUICK ? 5 : 20; // seconds per measured run
const log = (...a) => console.log(...a);
const procLog = VERBOSE ? (l) => console.log(l) : () => undefined;

function ensureTools() {
  const missing = ['nginx', 'varnishd', 'wrk', 'taskset'].filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(
      `missing ${missing.join(', ')}: sudo apt-get install -y nginx-light varnish wrk util-linux`,
    );
  log(`Installing ${missing.join(', ')} from Debian's packages…`);
  execFileSync(
    'apt-get',
    ['install', '-y', '--no-install-recommends', 'nginx-light', 'varnish', 'wrk', 'util-linux'],
    { stdio: 'inherit' },
  );
}

function build() {
  if (argv.includes('--no-build') || process.env.KSN_SKIP_BUILD === '1') return;
  log('Building ksn-proxy, cloud-emulator and security-center…');
  try {
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-b',
        'apps/ksn-proxy/tsconfig.app.json',
        'apps/security-center/tsconfig.app.json',
      ],
      { cwd: ROOT, stdio: 'inherit' },
    );
  } catch {
    log('  (the build reported errors; benchmarking the JavaScript it emitted)');
  }
}

/** One wrk run on the client core; returns requests/s, error share and latency (ms). */
function wrk(url, { conns = 64, seconds = D, rate, env = {} } = {}) {
  const threads = 1;
  const args = [
    '-c',
    CLIENT_CORE,
    'wrk',
    `-t${threads}`,
    `-c${conns}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '-s',
    join(ROOT, 'tools/bench/load.lua'),
    url,
  ];
  const fullEnv = {
    ...process.env,
    BENCH_THREADS: String(threads),
    ...(rate ? { BENCH_RATE: String(Math.round(rate)) } : {}),
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${err || out}`));
      const j = JSON.parse(line.slice('BENCH_JSON '.length));
      const secs = j.duration_us / 1e6;
      const e = j.errors;
      const errors = e.connect + e.read + e.write + e.status + e.timeout;
      resolve({
        requests: j.requests,
        rps: j.requests / secs,
        errors,
        errorRate: j.requests > 0 ? errors / j.requests : 0,
        p50: j.latency_us.p50 / 1000,
        p90: j.latency_us.p90 / 1000,
        p99: j.latency_us.p99 / 1000,
        seconds: secs,
      });
    });
  });
}

/**
 * Open-loop runs at 50 % and 80 % of a server's own closed-loop maximum: p50/p99 under a
 * steady load, the second half of every throughput workload. `env` may be a function
 * (fresh keys for each run).
 */
async function loadPoints(url, max, { conns, env }) {
  const at = (share) =>
    wrk(url, { conns, rate: max.rps * share, env: typeof env === 'function' ? env() : env });
  return { at50: await at(0.5), at80: await at(0.8) };
}

/** Workload 1's requests (1,000 warm keys in turn) with a target's own env (token, suffix). */
const hitsEnv = (t) => ({ ...t.env, BENCH_MODE: 'cycle', BENCH_KEYS: '1000' });

const points = ({ at50, at80 }) =>
  `50 %: p50 ${at50.p50} ms p99 ${at50.p99} ms (${at50.rps.toFixed(0)}/s); 80 %: p50 ${at80.p50} ms p99 ${at80.p99} ms (${at80.rps.toFixed(0)}/s)`;

/** The median of closed-loop runs by req/s, with every run's req/s (ascending) as `rounds`. */
function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return { ...sorted[Math.floor(sorted.length / 2)], rounds: sorted.map((x) => Math.round(x.rps)) };
}

/** The open-loop run with the median p99 of several, with every run's p99 (ascending) as `p99Rounds`. */
function medianP99(runs) {
  const sorted = [...runs].sort((a, b) => a.p99 - b.p99);
  return { ...sorted[Math.floor(sorted.length / 2)], p99Rounds: sorted.map((x) => x.p99) };
}

/** n concurrent GETs of one URL on fresh connections; statuses counted. */
function burst(url, n, headers = {}) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: n + 10 });
  const one = () =>
    new Promise((resolve) => {
      const req = http.get(url, { agent, headers, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
    });
  return Promise.all(Array.from({ length: n }, one)).finally(() => agent.destroy());
}

// --merge: keep the other workloads of the last results file, replace only those run now.
const LATEST = join(ROOT, 'tools/bench/results/latest.json');
const previous =
  argv.includes('--merge') && existsSync(LATEST) ? JSON.parse(readFileSync(LATEST, 'utf8')) : undefined;
const results = {
  startedAt: new Date().toISOString(),
  quick: QUICK,
  command: `node tools/bench/run.mjs ${argv.join(' ')}`.trim(),
  machine: machine(),
  workloads: {},
};

async function main() {
  ensureTools();
  build();
  const dir = mkdtempSync(join(tmpdir(), 'ksn-bench-'));
  const secrets = {
    proxyApiKey: `kp_${randomBytes(24).toString('base64url')}`,
    enrolmentToken: `ke_${randomBytes(24).toString('base64url')}`,
    adminPassword: `bench-${randomBytes(9).toString('base64url')}`,
  };
  const running = [];
  const stopAll = async () => {
    for (const p of running.reverse()) await p.stop().catch(() => undefined);
    running.length = 0;
  };
  process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
  const needServers = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'sc'].some(want);
  try {
    servers: {
      if (!needServers) break servers;
      const origin = await startOrigin(ROOT, procLog);
      running.push(origin);
      const sc = await startSecurityCenter(ROOT, dir, secrets, procLog);
      running.push(sc);
      const { json: enrolled } = await post(`${sc.url}/api/v1/enrol`, {
        enrolmentToken: secrets.enrolmentToken,
        deviceName: 'bench-device',
      });
      const token = enrolled.token;
      const proxyEnv = {
        TTL_UNKNOWN_SECONDS: '86400',
        TTL_SUSPICIOUS_SECONDS: '86400',
        TTL_ADWARE_SECONDS: '86400',
      };
      const nodeArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
      if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
      let proxy = await startProxy(ROOT, dir, {
        scUrl: sc.url,
        originUrl: origin.url,
        secrets,
        env: proxyEnv,
        nodeArgs,
        log: procLog,
      });
      running.push(proxy);
      const nginx = await startNginx(dir, origin.url, { port: await freePort(), log: procLog });
      running.push(nginx);
      const varnish = await startVarnish(dir, origin.url, { port: await freePort(), log: procLog });
      running.push(varnish);
      const targets = [
        {
          name: 'ksn-proxy',
          url: proxy.url,
          env: { BENCH_SUFFIX: '?module=file-threat-protection', BENCH_TOKEN: token },
        },
        { name: 'nginx', url: nginx.url, env: {} },
        { name: 'varnish', url: varnish.url, env: {} },
      ];
      log(
        `Servers up (proxy ${proxy.url}, nginx ${nginx.url}, varnish ${varnish.url}, origin ${origin.url}); ${QUICK ? 'quick' : 'full'} mode, ${D} s per run.`,
      );
      let base = 100_000_000; // fresh key ranges for miss workloads
      const fresh = () => (base += 100_000_000);

      if (want('w1')) {
        log(
          'W1 hits: 1,000 warm keys, closed-loop max, then p50/p99 at 50 % and 80 % of each server’s own max',
        );
        // Closed-loop max in interleaved rounds (proxy, nginx, varnish, proxy, …), median per
        // server: other work on the machine comes and goes, and interleaving spreads it evenly.
        const rounds = QUICK ? 1 : 3;
        const w1 = {};
        // The reference that is not a cache: node:http answering a fixed verdict (floor.mjs).
        const floor = await startNodeFloor(ROOT, procLog);
        running.push(floor);
        const w1Targets = [...targets, { name: 'node:http floor', url: floor.url, env: {} }];
        const maxima = Object.fromEntries(w1Targets.map((t) => [t.name, []]));
        for (const t of w1Targets)
          await wrk(t.url, {
            conns: 16,
            seconds: 2,
            env: hitsEnv(t),
          });
        for (let round = 0; round < rounds; round++) {
          for (const t of w1Targets)
            maxima[t.name].push(
              await wrk(t.url, {
                conns: 64,
                seconds: QUICK ? D : 10,
                env: hitsEnv(t),
              }),
            );
        }
        // The latency points too: interleaved rounds at 50 % and 80 % of each server's own max,
        // the run with the median p99 kept. A single run per server put minutes between the
        // runs compared, and the p99 ratio swung with whatever else the machine was doing.
        const maxOf = Object.fromEntries(w1Targets.map((t) => [t.name, medianRun(maxima[t.name])]));
        const at = Object.fromEntries(w1Targets.map((t) => [t.name, { at50: [], at80: [] }]));
        // Five rounds: a single round's p99 varies by up to 2× on this shared machine (nginx's
        // own p99 at 80 % ranged 2.1–4.7 ms in one run's three), and the median of five moves less.
        const latencyRounds = QUICK ? 1 : 5;
        for (let round = 0; round < latencyRounds; round++) {
          for (const [share, point] of [
            [0.5, 'at50'],
            [0.8, 'at80'],
          ])
            for (const t of w1Targets)
              at[t.name][point].push(
                await wrk(t.url, {
                  conns: 64,
                  seconds: QUICK ? D : 10,
                  rate: maxOf[t.name].rps * share,
                  env: hitsEnv(t),
                }),
              );
        }
        for (const t of w1Targets) {
          const max = maxOf[t.name];
          const at50 = medianP99(at[t.name].at50);
          const at80 = medianP99(at[t.name].at80);
          w1[t.name] = { max, at50, at80 };
          log(
            `  ${t.name}: ${max.rps.toFixed(0)} req/s (rounds ${max.rounds.join(', ')}; errors ${max.errors}); ${points({ at50, at80 })} (p99 rounds at 80 %: ${at80.p99Rounds.join(', ')})`,
          );
        }
        await floor.stop();
        results.workloads.w1 = w1;

        log('W7 /metrics scraped every second during W1 (ksn-proxy)');
        const p = targets[0];
        let scrapes = 0;
        let scrapeMs = 0;
        let scrapeBytes = 0;
        // Alternate runs without and with a scrape every second, so both see the same machine;
        // the cost is the difference of the medians.
        let scraping = false;
        const timer = setInterval(() => {
          if (!scraping) return;
          const t0 = performance.now();
          void fetch(`${proxy.adminUrl}/metrics`)
            .then((r) => r.text())
            .then(
              (text) => {
                scrapes++;
                scrapeMs += performance.now() - t0;
                scrapeBytes = text.length;
              },
              () => undefined,
            );
        }, 1000);
        const plainRuns = [];
        const scrapedRuns = [];
        const hits = hitsEnv(p);
        for (let round = 0; round < (QUICK ? 1 : 3); round++) {
          scraping = false;
          plainRuns.push(await wrk(p.url, { conns: 64, seconds: QUICK ? D : 10, env: hits }));
          scraping = true;
          scrapedRuns.push(await wrk(p.url, { conns: 64, seconds: QUICK ? D : 10, env: hits }));
        }
        const maxPlain = medianRun(plainRuns);
        const maxScraped = medianRun(scrapedRuns);
        const at80Scraped = await wrk(p.url, { conns: 64, rate: w1['ksn-proxy'].max.rps * 0.8, env: hits });
        scraping = false;
        clearInterval(timer);
        results.workloads.w7 = {
          scrapes,
          meanScrapeMs: scrapes ? scrapeMs / scrapes : undefined,
          scrapeBytes,
          max: maxScraped,
          maxWithout: { rps: maxPlain.rps, rounds: maxPlain.rounds },
          at80: at80Scraped,
          cost: 1 - maxScraped.rps / maxPlain.rps,
          p99Change: at80Scraped.p99 - w1['ksn-proxy'].at80.p99,
        };
        log(
          `  ${scrapes} scrapes of ${scrapeBytes} bytes, ${(scrapeMs / Math.max(1, scrapes)).toFixed(1)} ms each under load`,
        );
        log(
          `  with scraping: ${maxScraped.rps.toFixed(0)} req/s (cost ${(100 * results.workloads.w7.cost).toFixed(1)} %), p99 at 80 % ${at80Scraped.p99} ms`,
        );
      }

      if (want('w3')) {
        log('W3 batches of 100 hashes (ksn-proxy POST /v1/lookup) vs single lookups');
        const p = targets[0];
        await wrk(p.url, {
          conns: 16,
          seconds: 2,
          env: hitsEnv(p),
        });
        const batchEnv = { ...p.env, BENCH_MODE: 'batch', BENCH_BATCH: '100', BENCH_KEYS: '1000' };
        // Interleaved rounds against nginx's single lookups (workload 1's requests), so the
        // ratio divides figures measured side by side rather than minutes apart.
        const nginxTarget = targets.find((t) => t.name === 'nginx');
        const batchRuns = [];
        const singleRuns = [];
        for (let round = 0; round < (QUICK ? 1 : 3); round++) {
          batchRuns.push(await wrk(p.url, { conns: 32, seconds: QUICK ? D : 10, env: batchEnv }));
          singleRuns.push(
            await wrk(nginxTarget.url, { conns: 64, seconds: QUICK ? D : 10, env: hitsEnv(nginxTarget) }),
          );
        }
        const batch = medianRun(batchRuns);
        const nginxSingle = medianRun(singleRuns);
        const batchPoints = await loadPoints(p.url, batch, { conns: 32, env: batchEnv });
        results.workloads.w3 = { batch, hashesPerSecond: batch.rps * 100, nginxSingle, ...batchPoints };
        log(
          `  ${batch.rps.toFixed(0)} batches/s = ${(batch.rps * 100).toFixed(0)} hashes/s (rounds ${batch.rounds.join(', ')}; errors ${batch.errors}); nginx single lookups ${nginxSingle.rps.toFixed(0)}/s (rounds ${nginxSingle.rounds.join(', ')}); ${points(batchPoints)}`,
        );
      }

      if (want('w4')) {
        log('W4 cold misses, 20 ms upstream, 128 and 512 connections');
        await origin.mode({ latencyMs: 20 });
        const w4 = {};
        for (const t of targets) {
          w4[t.name] = {};
          for (const conns of [128, 512]) {
            await origin.reset();
            const r = await wrk(t.url, {
              conns,
              env: { ...t.env, BENCH_MODE: 'unique', BENCH_BASE: String(fresh()) },
            });
            const o = await origin.stats();
            w4[t.name][conns] = { ...r, originKeys: o.keys, originRequests: o.requests };
            log(
              `  ${t.name} c=${conns}: ${r.rps.toFixed(0)} misses/s, p99 ${r.p99} ms, errors ${r.errors}; origin saw ${o.keys} keys in ${o.requests} requests`,
            );
          }
          // Latency under load at the target's connection count: fresh keys for every run.
          Object.assign(
            w4[t.name][512],
            await loadPoints(t.url, w4[t.name][512], {
              conns: 512,
              env: () => ({ ...t.env, BENCH_MODE: 'unique', BENCH_BASE: String(fresh()) }),
            }),
          );
          log(`  ${t.name} c=512 ${points(w4[t.name][512])}`);
        }
        await origin.mode({ latencyMs: 0 });
        results.workloads.w4 = w4;
      }

      if (want('w5')) {
        log('W5 1,000 concurrent requests for one absent key (origin answers in 500 ms)');
        await origin.mode({ latencyMs: 500 });
        const w5 = {};
        for (const t of targets) {
          const key = hashOfRank(fresh());
          const path = `/v1/files/${key}${t.env.BENCH_SUFFIX ?? ''}`;
          const statuses = await burst(
            `${t.url}${path}`,
            1000,
            t.env.BENCH_TOKEN ? { authorization: `Bearer ${t.env.BENCH_TOKEN}` } : {},
          );
          const o = await origin.stats(`sha256:${key}`);
          w5[t.name] = {
            upstreamCalls: o.key,
            ok: statuses.filter((s) => s === 200).length,
            failed: statuses.filter((s) => s !== 200).length,
          };
          log(`  ${t.name}: ${o.key} upstream call(s); ${w5[t.name].ok} × 200, ${w5[t.name].failed} other`);
        }
        await origin.mode({ latencyMs: 0 });
        results.workloads.w5 = w5;
      }

      if (want('w6')) {
        log('W6 upstream failing after TTL expiry (verdicts cached for 2 s, then the origin answers 500)');
        const w6 = {};
        for (const t of targets) {
          const b = fresh();
          await origin.mode({ ttl: 2, fail: false });
          const env = { ...t.env, BENCH_MODE: 'cycle', BENCH_KEYS: '200', BENCH_BASE: String(b) };
          await wrk(t.url, { conns: 8, seconds: 1, env });
          await sleep(3500);
          await origin.mode({ fail: true });
          const r = await wrk(t.url, { conns: 32, env });
          await origin.mode({ fail: false, ttl: 86400 });
          w6[t.name] = r;
          log(
            `  ${t.name}: error rate ${(100 * r.errorRate).toFixed(2)} % of ${r.requests} (${r.rps.toFixed(0)} req/s)`,
          );
        }
        results.workloads.w6 = w6;
      }

      if (want('w2')) {
        const keys = QUICK ? 100_000 : 1_000_000;
        const capacity = keys / 10;
        const warm = QUICK ? 20 : 60;
        log(
          `W2 Zipf over ${keys} keys, ksn-proxy cache of ${capacity}, 20 ms upstream (warm ${warm} s at 0 ms first)`,
        );
        const w2 = [];
        for (const alpha of [0.9, 1.0, 1.1]) {
          await proxy.stop();
          running.splice(running.indexOf(proxy), 1);
          proxy = await startProxy(ROOT, dir, {
            scUrl: sc.url,
            originUrl: origin.url,
            secrets,
            env: { ...proxyEnv, CACHE_MAX_ENTRIES: String(capacity) },
            nodeArgs,
            log: procLog,
          });
          running.push(proxy);
          const env = {
            BENCH_SUFFIX: '?module=file-threat-protection',
            BENCH_TOKEN: token,
            BENCH_MODE: 'zipf',
            BENCH_KEYS: String(keys),
            BENCH_ALPHA: String(alpha),
          };
          await origin.mode({ latencyMs: 0 });
          await wrk(proxy.url, { conns: 64, seconds: warm, env: { ...env, BENCH_SEED: '1' } });
          await origin.mode({ latencyMs: 20 });
          await origin.reset();
          const r = await wrk(proxy.url, { conns: 256, env: { ...env, BENCH_SEED: '2' } });
          const o = await origin.stats();
          let seed = 2;
          const zipfPoints = await loadPoints(proxy.url, r, {
            conns: 256,
            env: () => ({ ...env, BENCH_SEED: String(++seed) }),
          });
          const row = {
            alpha,
            keys,
            capacity,
            ...r,
            hitRatio: 1 - o.keys / r.requests,
            upstreamRequestsPerSecond: o.requests / r.seconds,
            upstreamKeysPerSecond: o.keys / r.seconds,
            ...zipfPoints,
          };
          w2.push(row);
          log(
            `  α ${alpha}: hit ratio ${(100 * row.hitRatio).toFixed(1)} %, ${r.rps.toFixed(0)} req/s, upstream ${row.upstreamRequestsPerSecond.toFixed(0)} req/s (${row.upstreamKeysPerSecond.toFixed(0)} keys/s), p99 ${r.p99} ms; ${points(zipfPoints)}`,
          );
        }
        await origin.mode({ latencyMs: 0 });
        results.workloads.w2 = w2;
      }

      if (want('sc')) {
        log('Security Center: GET /api/v1/dashboard with a session cookie');
        // Measured like the other servers: alone on the server core.
        pinTo(sc.child.pid, SERVER_CORE);
        const login = await post(`${sc.url}/api/v1/auth/login`, {
          username: 'admin',
          password: secrets.adminPassword,
        });
        const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
        const dashboard = { BENCH_MODE: 'fixed', BENCH_PREFIX: '/api/v1/dashboard', BENCH_COOKIE: cookie };
        const max = await wrk(sc.url, { conns: 16, env: dashboard });
        const scPoints = await loadPoints(sc.url, max, { conns: 16, env: dashboard });
        results.workloads.sc = { max, ...scPoints };
        log(`  ${max.rps.toFixed(0)} req/s (errors ${max.errors}), p99 ${max.p99} ms; ${points(scPoints)}`);
        for (const ext of ['mjs', 'js']) {
          const f = join(ROOT, `tools/bench/snapshot-compile.${ext}`);
          if (!existsSync(f)) continue;
          log('Snapshot compile benchmark (tools/bench/snapshot-compile)');
          try {
            const out = execFileSync(process.execPath, [f], {
              cwd: ROOT,
              encoding: 'utf8',
              timeout: 600_000,
            });
            results.workloads.snapshotCompile = out.trim();
            log(
              out
                .trim()
                .split('\n')
                .map((l) => `  ${l}`)
                .join('\n'),
            );
          } catch (e) {
            results.workloads.snapshotCompile = `failed: ${e.message}`;
          }
          break;
        }
      }
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }

  if (want('w8')) {
    log('W8 memory per cached verdict at 1M entries');
    results.workloads.w8 = ['tinylfu', 'lru'].map((a) =>
      JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', join(ROOT, 'tools/bench/memory.mjs'), '1000000', a], {
          encoding: 'utf8',
        }),
      ),
    );
    for (const m of results.workloads.w8) log(`  ${m.admission}: ${m.bytesPerEntry} bytes per verdict`);
  }

  if (want('sim') && !argv.includes('--skip-sim')) {
    log('Trace simulation: LRU vs TinyLFU vs offline optimum');
    results.workloads.sim = simulate({ quick: QUICK, log: (l) => log(l) });
  }

  results.finishedAt = new Date().toISOString();
  if (previous) {
    results.workloads = { ...previous.workloads, ...results.workloads };
    results.command = `${previous.command}; then ${results.command}`;
    results.startedAt = previous.startedAt;
  }
  mkdirSync(join(ROOT, 'tools/bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'tools/bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(ROOT, 'docs/performance.md'), renderReport(results));
  log('Wrote docs/performance.md and tools/bench/results/latest.json');
}

main().catch((e) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
