import { hashKey, hashKind, urlKey } from '@ksn/contracts';

const NORMALISED_HASH = /^(?:sha256:[0-9a-f]{64}|sha1:[0-9a-f]{40}|md5:[0-9a-f]{32})$/;

/**
 * Whether `key` is a key in normalised form (libs/contracts keys.ts): a
 * lower-case `sha256:`/`sha1:`/`md5:` hash or `url:` and a normalised URL.
 * The upstream protocol carries only normalised keys, so anything else is a
 * client bug worth a 400.
 */
export function isNormalisedKey(key: string): boolean {
  if (key.startsWith('url:')) return urlKey(key.slice(4)) === key;
  return NORMALISED_HASH.test(key);
}

/** The normalised form of a key typed by a person (upper-case hash, URL as written), or undefined. */
export function normaliseKey(raw: string): string | undefined {
  if (raw.startsWith('url:')) return urlKey(raw.slice(4));
  const colon = raw.indexOf(':');
  const hash = colon < 0 ? raw : raw.slice(colon + 1);
  const kind = hashKind(hash);
  if (!kind || (colon >= 0 && raw.slice(0, colon).toLowerCase() !== kind)) return undefined;
  return hashKey(kind, hash);
}
