import type { Role } from '@ksn/contracts';

/** How a role is named in the console. */
export function roleLabel(role: Role): string {
  switch (role) {
    case 'admin':
      return 'Administrator';
    case 'operator':
      return 'Operator';
    case 'auditor':
      return 'Auditor (read-only)';
  }
}
