/**
 * Device tokens: `ksn1.<payload>.<signature>`, both base64url; the payload is
 * JSON claims, the signature Ed25519 over the bytes `ksn1.<payload>`.
 * Security-center signs with its private key; proxies verify offline with the
 * public keys from the snapshot.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

const PREFIX = 'ksn1.';

export interface DeviceClaims {
  /** Key id of the signing key. */
  kid: string;
  /** Device id. */
  sub: string;
  /** Group id at issue time. */
  grp: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expires at, seconds since the epoch. */
  exp: number;
}

export type VerifyFailure = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired';
export type VerifyResult = { ok: true; claims: DeviceClaims } | { ok: false; reason: VerifyFailure };

export interface SigningKeyPair {
  kid: string;
  /** PKCS#8 DER, base64. Secret: never logged, never sent to proxies. */
  privateKey: string;
  /** SPKI DER, base64. */
  publicKey: string;
}

export function generateSigningKey(kid: string): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid,
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export function importPublicKey(spkiBase64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
}

export function importPrivateKey(pkcs8Base64: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8Base64, 'base64'), format: 'der', type: 'pkcs8' });
}

export function signDeviceToken(privateKey: KeyObject, claims: DeviceClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signed = PREFIX + payload;
  const signature = sign(null, Buffer.from(signed), privateKey).toString('base64url');
  return `${signed}.${signature}`;
}

function isClaims(value: unknown): value is DeviceClaims {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c['kid'] === 'string' &&
    typeof c['sub'] === 'string' &&
    typeof c['grp'] === 'string' &&
    Number.isInteger(c['iat']) &&
    Number.isInteger(c['exp'])
  );
}

/** Reads the claims without checking the signature (to find the key id). */
export function decodeDeviceToken(token: string): DeviceClaims | undefined {
  if (!token.startsWith(PREFIX) || token.length > 2048) return undefined;
  const dot = token.indexOf('.', PREFIX.length);
  if (dot < 0 || token.indexOf('.', dot + 1) >= 0) return undefined;
  try {
    const claims: unknown = JSON.parse(
      Buffer.from(token.slice(PREFIX.length, dot), 'base64url').toString('utf8'),
    );
    return isClaims(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verify a token offline. `keys` maps key ids to public keys; `nowSeconds` is
 * the current time in seconds since the epoch.
 */
export function verifyDeviceToken(
  token: string,
  keys: ReadonlyMap<string, KeyObject>,
  nowSeconds: number,
): VerifyResult {
  const claims = decodeDeviceToken(token);
  if (!claims) return { ok: false, reason: 'malformed' };
  const key = keys.get(claims.kid);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (!verify(null, Buffer.from(token.slice(0, dot)), key, signature))
    return { ok: false, reason: 'bad_signature' };
  if (claims.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
