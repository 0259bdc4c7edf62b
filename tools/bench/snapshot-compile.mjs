#!/usr/bin/env node
// Benchmark (not a test): compile a snapshot of 2,000 groups, 100,000 devices and
// 10,000 application-control rules plus 10,000 overrides with libs/policy-engine, as
// security-center does for every new snapshot version, and serialise it once.
// Goal: under 1 s. Build first: npx tsc -b libs/policy-engine/tsconfig.lib.json
//   node tools/bench/snapshot-compile.mjs [groups] [devices] [rules] [overrides]
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { compileSnapshot, DEFAULT_SETTINGS } = require('../../libs/policy-engine/dist/index.js');

const NAMES = ['groups', 'devices', 'rules', 'overrides'];
const [GROUPS, DEVICES, RULES, OVERRIDES] = [2000, 100_000, 10_000, 10_000].map((d, i) => {
  const given = process.argv[2 + i];
  if (given === undefined) return d;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`snapshot-compile: ${NAMES[i]} must be a positive integer, got ${JSON.stringify(given)}`);
    process.exit(2);
  }
  return n;
});
const GOAL_MS = 1000;
const TOKEN_TTL_MS = 86_400_000;

// Deterministic pseudo-random numbers (mulberry32), so every run compiles the same input.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (n) => Math.floor(rand() * n);
const hex = (len) => Array.from({ length: len }, () => '0123456789abcdef'[pick(16)]).join('');

function input(now) {
  const sections = ['cloud', 'ksn', 'appControl'];
  const groups = Array.from({ length: GROUPS }, (_, i) => ({
    id: `g${i}`,
    name: `Group ${i}`,
    // A tree about 8 levels deep: each group's parent is one of the groups before it.
    parentId: i === 0 ? null : `g${Math.floor(i / 2 + pick(Math.max(1, i / 2)))}`,
    policy: { locked: rand() < 0.05 ? [sections[pick(3)]] : [] },
  }));
  // Rules: spread over a third of the groups.
  const kinds = ['hash', 'certificate', 'vendor', 'category'];
  for (let r = 0; r < RULES; r++) {
    const g = groups[pick(GROUPS)];
    g.policy.appControl ??= {
      mode: rand() < 0.2 ? 'default-deny' : 'default-allow',
      testMode: rand() < 0.1,
      rules: [],
    };
    const kind = kinds[pick(4)];
    const match =
      kind === 'hash'
        ? { kind, sha256: hex(64) }
        : kind === 'certificate'
          ? { kind, thumbprint: hex(40) }
          : kind === 'vendor'
            ? { kind, vendor: `Vendor ${pick(500)}` }
            : { kind, path: `Category ${pick(50)}/Sub ${pick(10)}` };
    g.policy.appControl.rules.push({
      id: `rule-${r}`,
      action: rand() < 0.5 ? 'allow' : 'block',
      status: rand() < 0.9 ? 'on' : 'test',
      match,
    });
  }
  for (const g of groups) {
    if (rand() < 0.2)
      g.policy.cloud = { modules: { ...DEFAULT_SETTINGS.cloud.modules, 'anti-spam': rand() < 0.5 } };
    if (rand() < 0.2)
      g.policy.ksn = {
        participation: ['extended', 'basic', 'off'][pick(3)],
        sending: { statistics: true, detectedObjects: rand() < 0.5, urls: true },
      };
  }
  // Devices: the snapshot carries only those revoked or moved within the token lifetime.
  const since = new Date(now.getTime() - TOKEN_TTL_MS).toISOString();
  const devices = Array.from({ length: DEVICES }, (_, i) => {
    const changed = rand() < 0.02 ? new Date(now.getTime() - pick(2 * TOKEN_TTL_MS)).toISOString() : null;
    return {
      id: `d${i}`,
      groupId: `g${pick(GROUPS)}`,
      revokedAt: rand() < 0.01 ? changed : null,
      groupChangedAt: changed,
    };
  });
  const overrides = Array.from({ length: OVERRIDES }, (_, i) => ({
    key: i % 3 === 0 ? `url:https://site${i}.example/` : `sha256:${hex(64)}`,
    action: rand() < 0.5 ? 'allow' : 'block',
    ...(rand() < 0.3 && { expiresAt: new Date(now.getTime() + (rand() - 0.5) * TOKEN_TTL_MS).toISOString() }),
  }));
  return { groups, devices, overrides, since };
}

function compileOnce(data, now) {
  const revoked = [];
  const moved = [];
  for (const d of data.devices) {
    if (d.revokedAt !== null && d.revokedAt > data.since) revoked.push({ deviceId: d.id, at: d.revokedAt });
    else if (d.revokedAt === null && d.groupChangedAt !== null && d.groupChangedAt > data.since)
      moved.push({ deviceId: d.id, groupId: d.groupId, at: d.groupChangedAt });
  }
  const snapshot = compileSnapshot({
    version: 1,
    now,
    groups: data.groups,
    keys: [{ kid: 'k1', publicKey: 'x' }],
    revoked,
    moved,
    overrides: data.overrides,
  });
  return JSON.stringify(snapshot);
}

const now = new Date();
const data = input(now);
compileOnce(data, now); // warm-up (JIT)
const runs = 5;
const times = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  bytes = compileOnce(data, now).length;
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(runs / 2)];
console.log(
  `snapshot compile: ${GROUPS} groups, ${DEVICES} devices, ${RULES} rules, ${OVERRIDES} overrides -> ${(bytes / 1e6).toFixed(1)} MB JSON; ` +
    `median ${median.toFixed(0)} ms, best ${times[0].toFixed(0)} ms, worst ${times[runs - 1].toFixed(0)} ms (goal < ${GOAL_MS} ms): ${median < GOAL_MS ? 'OK' : 'TOO SLOW'}`,
);
process.exitCode = median < GOAL_MS ? 0 : 1;
