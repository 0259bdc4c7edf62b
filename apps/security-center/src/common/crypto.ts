import { createHash, randomBytes } from 'node:crypto';

/** A high-entropy secret with a recognisable prefix (kp_ proxy key, ke_ enrolment token, session). */
export function newSecret(prefix: string, bytes = 32): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** SHA-256 hex. Enough for high-entropy random secrets (passwords use argon2id). */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
