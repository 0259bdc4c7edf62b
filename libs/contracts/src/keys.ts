/**
 * Object keys: how a file hash or a URL becomes the identity used by caches,
 * overrides and the upstream. Hashes are lower-cased; URLs are normalised
 * (scheme and host lower-cased, default port dropped, fragment dropped).
 */
export type HashKind = 'sha256' | 'sha1' | 'md5';

const HEX = /^[0-9a-fA-F]+$/;
const HASH_LENGTHS: Record<number, HashKind> = { 64: 'sha256', 40: 'sha1', 32: 'md5' };

/** The kind of a hex hash by its length, or undefined when it is not a hash. */
export function hashKind(hash: string): HashKind | undefined {
  const kind = HASH_LENGTHS[hash.length];
  return kind && HEX.test(hash) ? kind : undefined;
}

export function hashKey(kind: HashKind, hash: string): string {
  return `${kind}:${hash.toLowerCase()}`;
}

export const MAX_URL_LENGTH = 4096;

/** Normalised URL, or undefined when the text is not an absolute http(s) URL. */
export function normaliseUrl(raw: string): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  url.hash = '';
  // WHATWG URL already lower-cases scheme and host and drops default ports.
  return url.href;
}

export function urlKey(raw: string): string | undefined {
  const normalised = normaliseUrl(raw);
  return normalised === undefined ? undefined : `url:${normalised}`;
}
