// Workload 8: heap bytes per cached verdict with N entries in the real
// VerdictCache (apps/ksn-proxy/dist), realistic keys and values, after a full GC.
//   node --expose-gc tools/bench/memory.mjs [entries] [tinylfu|lru]
import { createRequire } from 'node:module';
import { hashOfRank } from './zipf.mjs';

const require = createRequire(import.meta.url);
const { VerdictCache } = require('../../apps/ksn-proxy/dist/cache.js');
const n = Number(process.argv[2] ?? 1_000_000);
const admission = process.argv[3] ?? 'tinylfu';
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const used = () => {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const ttl = { clean: 86400, malicious: 86400, suspicious: 3600, adware: 3600, unknown: 300 };
// Values as they come off the wire: fresh strings from JSON.parse for every entry.
const wire = (r) =>
  JSON.parse(
    JSON.stringify(
      r % 3 === 0
        ? { verdict: 'unknown' }
        : {
            verdict: 'clean',
            category: 'Golden Image/Operating Systems & Utilities/OS Components',
            vendor: 'Microsoft Corporation',
            certificate: 'a43489159a520f0d93d032ccaf37e7fe20a8b419',
          },
    ),
  );
const before = used();
const cache = new VerdictCache({ maxEntries: n, maxBytes: 2 ** 40, ttl, staleWindow: 3600, admission });
for (let r = 0; r < n; r++) {
  const v = wire(r);
  const key = JSON.parse(JSON.stringify(`sha256:${hashOfRank(r)}`));
  cache.set(key, {
    verdict: v.verdict,
    category: v.category,
    vendor: v.vendor,
    certificate: v.certificate,
    wireBytes: 120,
  });
}
const after = used();
if (cache.size !== n) throw new Error(`expected ${n} entries, have ${cache.size}`);
process.stdout.write(
  `${JSON.stringify({ entries: n, admission, bytes: after - before, bytesPerEntry: Math.round((after - before) / n) })}\n`,
);
