import { renewalDue } from './session';
import type { StoredToken } from './token-store';

const token = (obtainedAt: string, expiresAt: string): StoredToken => ({
  token: 't',
  deviceId: 'd',
  groupId: 'g',
  obtainedAt,
  expiresAt,
});

describe(renewalDue.name, () => {
  const day = token('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');

  it('is not due while more than a third of the lifetime is left', () => {
    expect(renewalDue(day, Date.parse('2026-01-01T15:00:00Z'))).toBe(false);
  });

  it('is due once a third or less is left', () => {
    expect(renewalDue(day, Date.parse('2026-01-01T16:30:00Z'))).toBe(true);
  });

  it('is due in the last hour whatever the lifetime, and after expiry', () => {
    const short = token('2026-01-01T00:00:00Z', '2026-01-01T01:30:00Z');
    expect(renewalDue(short, Date.parse('2026-01-01T00:45:00Z'))).toBe(true);
    expect(renewalDue(day, Date.parse('2026-01-03T00:00:00Z'))).toBe(true);
  });
});
