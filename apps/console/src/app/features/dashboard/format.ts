/** Pure formatting behind the dashboard's numbers, tested without Angular. English UI, en-US digits. */

const COUNT = new Intl.NumberFormat('en-US');
const DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const PERCENT = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** Share of lookups answered from the cache, 0…1; null when there were no lookups. */
export function hitRatio(lookups: number, cacheHits: number): number | null {
  if (lookups <= 0) return null;
  return Math.min(1, Math.max(0, cacheHits / lookups));
}

/** 0.6667 → "66.7%". */
export function formatPercent(ratio: number): string {
  return PERCENT.format(ratio);
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/**
 * Bytes in decimal (SI) units with three significant digits, as network traffic is usually
 * counted: 1536 → "1.54 kB", 12_345_678 → "12.3 MB".
 */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  for (;;) {
    value /= 1000;
    unit++;
    const rounded = Number(value.toPrecision(3));
    // 999.95 kB rounds to 1000 kB: say 1 MB instead.
    if (rounded < 1000 || unit === BYTE_UNITS.length - 1)
      return `${DECIMAL.format(rounded)} ${BYTE_UNITS[unit]}`;
  }
}

/** How long ago an ISO time was, relative to `now` (ms): "just now", "42 s ago", "3 min ago", "2 h ago", "5 d ago". */
export function relativeTime(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  // A server clock slightly ahead of the browser's gives small negative ages: "just now".
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** Wall-clock "HH:mm" (24 h) of an epoch time, in the browser's time zone unless one is given. */
export function formatClock(epochMs: number, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(epochMs);
}

/** "1 group", "3 groups". */
export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
