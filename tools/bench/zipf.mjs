// Deterministic Zipf workloads shared by the trace simulation (sim.mjs) and the
// live benchmark (the wrk script zipf.lua draws from the same distribution and
// names keys the same way).

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sampler of ranks 0..n-1 with P(rank r) ∝ 1/(r+1)^alpha (inverse CDF, binary search). */
export function zipfSampler(n, alpha, seed = 1) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += Math.pow(i + 1, -alpha);
  const rand = prng(seed);
  return () => {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A trace of `length` ranks. */
export function zipfTrace(n, alpha, length, seed = 1) {
  const next = zipfSampler(n, alpha, seed);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i++) trace[i] = next();
  return trace;
}

/** The SHA-256-shaped hex name of a rank (a 32-bit mix repeated; zipf.lua computes the same). */
export function hashOfRank(rank) {
  const x = Number((BigInt(rank + 1) * 2654435761n) % 4294967296n);
  return x.toString(16).padStart(8, '0').repeat(8);
}
