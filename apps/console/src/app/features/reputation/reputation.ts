/** Pure helpers of the reputation lookup page. */

export const HASH_RE = /^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

export function hashError(value: string): string | null {
  const v = value.trim();
  if (!v) return 'Enter a hash, or drop a file on the page.';
  return HASH_RE.test(v) ? null : 'A hash is 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal characters.';
}

export function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A file's bytes (Blob.arrayBuffer where the browser has it, else FileReader). */
export function readBytes(file: Blob): Promise<ArrayBuffer> {
  if (typeof file.arrayBuffer === 'function') return file.arrayBuffer();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsArrayBuffer(file);
  });
}

/** SHA-256 of a file, computed in the browser (Web Crypto): the file itself is never uploaded. */
export async function sha256OfFile(file: Blob, subtle: SubtleCrypto = crypto.subtle): Promise<string> {
  return toHex(await subtle.digest('SHA-256', await readBytes(file)));
}

export interface CountryBar {
  readonly country: string;
  readonly share: number;
  /** Bar length 0…100 relative to the largest share. */
  readonly width: number;
  readonly y: number;
}

export const BAR_HEIGHT = 22;

/** The largest shares first, at most `max`, with the rest summed as "Other". */
export function countryBars(countries: Record<string, number> | undefined, max = 8): CountryBar[] {
  const entries = Object.entries(countries ?? {})
    .filter(([, v]) => Number.isFinite(v) && v > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = entries.slice(0, max);
  const rest = entries.slice(max).reduce((sum, [, v]) => sum + v, 0);
  if (rest > 0) top.push(['Other', rest]);
  const largest = Math.max(0, ...top.map(([, v]) => v));
  return top.map(([country, share], i) => ({
    country,
    share,
    width: largest ? Math.round((share / largest) * 10000) / 100 : 0,
    y: i * BAR_HEIGHT,
  }));
}

/** 0.4567 → "45.7%". */
export function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toString()}%`;
}
