import type { Role } from '@ksn/contracts';

export const ROLE_OPTIONS: readonly { value: Role; label: string }[] = [
  { value: 'admin', label: 'Administrator: everything, users included' },
  { value: 'operator', label: 'Operator: groups, policies, overrides' },
  { value: 'auditor', label: 'Auditor: read-only' },
];

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

/** The API's rules for a new user, in words. */
export function newUserErrors(u: NewUser): Partial<Record<'username' | 'password', string>> {
  const errors: Partial<Record<'username' | 'password', string>> = {};
  if (!u.username) errors.username = 'Enter a username.';
  else if (u.username.length > 100) errors.username = 'At most 100 characters.';
  else if (!/^[A-Za-z0-9_.@-]+$/.test(u.username)) errors.username = 'Letters, digits and _ . @ - only.';
  if (u.password.length < 12) errors.password = 'At least 12 characters.';
  else if (u.password.length > 1000) errors.password = 'At most 1000 characters.';
  return errors;
}
