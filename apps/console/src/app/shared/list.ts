import type { PageOf } from '@ksn/contracts';

/** List routes answer either a bare array or a page (`{items, total, …}`); the console reads both. */
export function itemsOf<T>(body: readonly T[] | PageOf<T>): T[] {
  return Array.isArray(body) ? [...(body as readonly T[])] : [...(body as PageOf<T>).items];
}

/** `datetime-local` input value ("2026-11-27T10:30") in the browser's zone → ISO instant, or undefined when empty. */
export function localInputToIso(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** ISO instant → "2026-11-27 10:30" (UTC unless a zone is given), "–" for null. */
export function formatInstant(iso: string | null | undefined, timeZone = 'UTC'): string {
  if (!iso) return '–';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const get = (t: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export const HASH_PATTERN = /^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
export const SHA256_PATTERN = /^[0-9a-fA-F]{64}$/;

/** An absolute http(s) URL, as the API accepts for overrides. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
