import type { TrafficPoint } from '@ksn/contracts';

const MINUTE = 60_000;

/** One minute of the chart. */
export interface MinuteBucket {
  readonly minute: number;
  readonly lookups: number;
  readonly cacheHits: number;
}

/**
 * One bucket per minute of the window, oldest first, ending at the current minute (or at the
 * newest point, if the server's clock is ahead). The server sends only minutes with traffic;
 * the gaps are zero.
 */
export function minuteBuckets(
  series: readonly TrafficPoint[],
  windowMinutes: number,
  now: number,
  /** Width of one series point (1 up to 2 h, 15 up to 2 days, 60 beyond: see DashboardResponse). */
  bucketMinutes = 1,
): MinuteBucket[] {
  const step = Math.max(1, Math.floor(bucketMinutes)) * MINUTE;
  const count = Math.max(1, Math.floor(windowMinutes / Math.max(1, Math.floor(bucketMinutes))));
  const byMinute = new Map<number, TrafficPoint>();
  let newest = Math.floor(now / step) * step;
  for (const point of series) {
    const minute = Math.floor(Date.parse(point.minute) / step) * step;
    if (Number.isNaN(minute)) continue;
    byMinute.set(minute, point);
    newest = Math.max(newest, minute);
  }
  const first = newest - (count - 1) * step;
  return Array.from({ length: count }, (_, i) => {
    const minute = first + i * step;
    const point = byMinute.get(minute);
    return { minute, lookups: point?.lookups ?? 0, cacheHits: point?.cacheHits ?? 0 };
  });
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `n` (at least 1): the top of a readable axis. */
export function niceCeiling(n: number): number {
  if (!(n > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= n) return step * magnitude;
  }
  return 10 * magnitude;
}

export interface TrafficChart {
  /** SVG polyline points, in a width × height box with 0 at the bottom. */
  readonly lookups: string;
  readonly cacheHits: string;
  /** Value at the top of the box. */
  readonly yMax: number;
  /** First and last minute shown (epoch ms). */
  readonly from: number;
  readonly to: number;
  readonly peakLookups: number;
  readonly peakCacheHits: number;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Scales lookups and cache hits per minute into the chart box; both lines share one axis. */
export function buildTrafficChart(
  buckets: readonly MinuteBucket[],
  width: number,
  height: number,
): TrafficChart {
  const peakLookups = Math.max(0, ...buckets.map((b) => b.lookups));
  const peakCacheHits = Math.max(0, ...buckets.map((b) => b.cacheHits));
  const yMax = niceCeiling(Math.max(peakLookups, peakCacheHits));
  const step = buckets.length > 1 ? width / (buckets.length - 1) : 0;
  const line = (value: (b: MinuteBucket) => number): string =>
    buckets.map((b, i) => `${round1(i * step)},${round1(height - (value(b) / yMax) * height)}`).join(' ');
  return {
    lookups: line((b) => b.lookups),
    cacheHits: line((b) => b.cacheHits),
    yMax,
    from: buckets[0]?.minute ?? 0,
    to: buckets[buckets.length - 1]?.minute ?? 0,
    peakLookups,
    peakCacheHits,
  };
}
