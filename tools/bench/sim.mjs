// Trace-driven simulation of the verdict cache: plain LRU vs TinyLFU admission
// (apps/ksn-proxy/src/admission.ts, through the real VerdictCache) vs the offline
// optimum (Belady's MIN with bypass), on Zipf traces over 1M keys with a cache of
// 100k entries. Usage: node tools/bench/sim.mjs [--quick] [--json out.json]
// Needs apps/ksn-proxy built (npx tsc -b apps/ksn-proxy/tsconfig.app.json).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { zipfTrace, hashOfRank } from './zipf.mjs';

const require = createRequire(import.meta.url);

export const SIM_DEFAULTS = { keys: 1_000_000, capacity: 100_000, alphas: [0.9, 1.0, 1.1] };

/** Hit ratio of a VerdictCache (policy 'lru' or 'tinylfu') over trace[warmup..]. */
function replay(policy, trace, names, capacity, warmup) {
  const { VerdictCache } = require('../../apps/ksn-proxy/dist/cache.js');
  const ttl = { clean: 86400, malicious: 86400, suspicious: 3600, adware: 3600, unknown: 300 };
  const cache = new VerdictCache({
    maxEntries: capacity,
    maxBytes: 2 ** 40,
    ttl,
    staleWindow: 3600,
    admission: policy,
  });
  const value = {
    verdict: 'clean',
    category: 'Golden Image/Operating Systems & Utilities/OS Components',
    vendor: 'Microsoft Corporation',
    certificate: undefined,
    wireBytes: 120,
  };
  let hits = 0;
  const now = Date.now();
  for (let i = 0; i < trace.length; i++) {
    const key = names[trace[i]];
    if (cache.get(key) !== undefined) {
      if (i >= warmup) hits++;
    } else cache.set(key, value, now);
  }
  return hits / (trace.length - warmup);
}

/** Belady's MIN with bypass: evict (or do not admit) the key whose next use is farthest. */
export function belady(trace, nKeys, capacity, warmup) {
  const n = trace.length;
  const NEVER = n + 1;
  const nextUse = new Int32Array(n);
  const last = new Int32Array(nKeys).fill(NEVER);
  for (let i = n - 1; i >= 0; i--) {
    nextUse[i] = last[trace[i]];
    last[trace[i]] = i;
  }
  // Max-heap of (next use, key) with lazy deletion: an item is current if cur[key] equals it.
  const cur = new Int32Array(nKeys).fill(-1); // next use of a cached key, -1 if not cached
  const hp = new Int32Array(n + 1);
  const hk = new Int32Array(n + 1);
  let size = 0;
  const push = (p, k) => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (hp[parent] >= p) break;
      hp[i] = hp[parent];
      hk[i] = hk[parent];
      i = parent;
    }
    hp[i] = p;
    hk[i] = k;
  };
  const pop = () => {
    const p = hp[--size];
    const k = hk[size];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && hp[c + 1] > hp[c]) c++;
      if (hp[c] <= p) break;
      hp[i] = hp[c];
      hk[i] = hk[c];
      i = c;
    }
    hp[i] = p;
    hk[i] = k;
  };
  const top = () => {
    while (size > 0 && cur[hk[0]] !== hp[0]) pop();
  };
  let cached = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const k = trace[i];
    const nu = nextUse[i];
    if (cur[k] !== -1) {
      if (i >= warmup) hits++;
      cur[k] = nu;
      push(nu, k);
      continue;
    }
    if (cached < capacity) {
      cur[k] = nu;
      push(nu, k);
      cached++;
      continue;
    }
    top();
    if (hp[0] > nu) {
      cur[hk[0]] = -1;
      pop();
      cur[k] = nu;
      push(nu, k);
    }
    if (size > 3 * capacity + 1000) {
      // Compact the heap: rebuild from the live entries only.
      const live = [];
      for (let j = 0; j < size; j++) if (cur[hk[j]] === hp[j]) live.push([hp[j], hk[j]]);
      size = 0;
      for (const [p, key] of live) push(p, key);
    }
  }
  return hits / (n - warmup);
}

/** Share of requests for the `capacity` most popular of `n` Zipf(alpha) keys. */
function idealLfu(n, alpha, capacity) {
  let top = 0;
  let all = 0;
  for (let i = 1; i <= n; i++) {
    const p = Math.pow(i, -alpha);
    all += p;
    if (i <= capacity) top += p;
  }
  return top / all;
}

export function simulate({ quick = false, log = console.log } = {}) {
  const { keys, capacity, alphas } = SIM_DEFAULTS;
  const warmup = quick ? 2_000_000 : 8_000_000;
  const length = warmup + (quick ? 1_000_000 : 2_000_000);
  const names = Array.from({ length: keys }, (_, r) => `sha256:${hashOfRank(r)}`);
  const rows = [];
  for (const alpha of alphas) {
    const trace = zipfTrace(keys, alpha, length, 7);
    const row = { alpha, keys, capacity, requests: length, warmup };
    row.lru = replay('lru', trace, names, capacity, warmup);
    row.tinylfu = replay('tinylfu', trace, names, capacity, warmup);
    row.optimum = belady(trace, keys, capacity, warmup);
    row.ideal = idealLfu(keys, alpha, capacity);
    log(
      `  α ${alpha.toFixed(1)}: LRU ${pct(row.lru)}  TinyLFU ${pct(row.tinylfu)}  Belady ${pct(row.optimum)}  ideal LFU ${pct(row.ideal)}`,
    );
    rows.push(row);
  }
  return rows;
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const j = process.argv.indexOf('--json');
  const rows = simulate({ quick });
  if (j > 0) writeFileSync(process.argv[j + 1], JSON.stringify(rows, null, 2));
}
