import type { CreateOverrideRequest, OverrideAction } from '@ksn/contracts';
import { HASH_PATTERN, isHttpUrl, localInputToIso } from '../../shared/list';

export type OverrideTarget = 'hash' | 'url';

export interface OverrideFormValue {
  target: OverrideTarget;
  value: string;
  action: OverrideAction;
  comment: string;
  /** `datetime-local` value, empty for "never". */
  expires: string;
}

/** What is wrong with each field, in words for the page; empty when the form can be sent. */
export function validateOverride(
  v: OverrideFormValue,
  now: number,
): Partial<Record<keyof OverrideFormValue, string>> {
  const errors: Partial<Record<keyof OverrideFormValue, string>> = {};
  const value = v.value.trim();
  if (!value) errors.value = v.target === 'hash' ? 'Enter a file hash.' : 'Enter a URL.';
  else if (v.target === 'hash' && !HASH_PATTERN.test(value))
    errors.value = 'A hash is 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal characters.';
  else if (v.target === 'url' && !isHttpUrl(value))
    errors.value = 'Enter an absolute http:// or https:// URL.';
  if (v.comment.length > 1000) errors.comment = 'At most 1000 characters.';
  if (v.expires) {
    const iso = localInputToIso(v.expires);
    if (!iso) errors.expires = 'Not a valid date and time.';
    else if (Date.parse(iso) <= now) errors.expires = 'The expiry must be in the future.';
  }
  return errors;
}

export function overrideRequest(v: OverrideFormValue): CreateOverrideRequest {
  const value = v.value.trim();
  const expiresAt = localInputToIso(v.expires);
  return {
    ...(v.target === 'hash' ? { hash: value } : { url: value }),
    action: v.action,
    comment: v.comment.trim(),
    ...(expiresAt ? { expiresAt } : {}),
  };
}

/** `sha256:abc…` → ["SHA-256", "abc…"], `url:https://…` → ["URL", "https://…"]. */
export function describeKey(key: string): readonly [string, string] {
  const i = key.indexOf(':');
  if (i < 0) return ['', key];
  const kind = key.slice(0, i);
  const label = { sha256: 'SHA-256', sha1: 'SHA-1', md5: 'MD5', url: 'URL' }[kind] ?? kind;
  return [label, key.slice(i + 1)];
}
