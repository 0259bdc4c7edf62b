/** Pure helpers behind the dashboard's numbers (tested without Angular). */

/** Cache hit ratio in percent, one decimal; undefined when nothing was looked up. */
export function hitRatio(lookups: number, hits: number): number | undefined {
  return lookups > 0 ? Math.round((hits / lookups) * 1000) / 10 : undefined;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
export function humanBytes(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`;
}

export function relativeTime(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** SVG polyline points for a series scaled into width × height (0 at the bottom). */
export function polyline(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${Math.round(i * step * 10) / 10},${Math.round((height - (v / max) * height) * 10) / 10}`).join(' ');
}
