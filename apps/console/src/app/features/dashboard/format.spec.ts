import {
  formatClock,
  formatCount,
  formatPercent,
  hitRatio,
  humanBytes,
  plural,
  relativeTime,
} from './format';

describe('dashboard format', () => {
  describe(hitRatio.name, () => {
    it('is the share of lookups answered from the cache', () => {
      expect(hitRatio(3, 2)).toBeCloseTo(2 / 3);
      expect(hitRatio(10, 10)).toBe(1);
      expect(hitRatio(10, 0)).toBe(0);
    });

    it('is null without lookups (no 0/0 = NaN on the page)', () => {
      expect(hitRatio(0, 0)).toBeNull();
    });

    it('never leaves 0…1 even if counters disagree', () => {
      expect(hitRatio(5, 7)).toBe(1);
    });

    it('formats as a percentage with one decimal', () => {
      expect(formatPercent(hitRatio(3, 2)!)).toBe('66.7%');
      expect(formatPercent(1)).toBe('100%');
    });
  });

  describe(humanBytes.name, () => {
    it.each([
      [0, '0 B'],
      [999, '999 B'],
      [1000, '1 kB'],
      [1536, '1.54 kB'],
      [12_345_678, '12.3 MB'],
      [999_950, '1 MB'],
      [3_210_000_000, '3.21 GB'],
      [7e18, '7,000 PB'],
    ])('%d bytes → %s', (bytes, text) => {
      expect(humanBytes(bytes)).toBe(text);
    });

    it('refuses nonsense', () => {
      expect(humanBytes(-1)).toBe('–');
      expect(humanBytes(Number.NaN)).toBe('–');
    });
  });

  describe(relativeTime.name, () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    it.each([
      [null, 'never'],
      ['not a date', 'unknown'],
      ['2026-01-01T12:00:03Z', 'just now'], // server clock a little ahead
      ['2026-01-01T11:59:58Z', 'just now'],
      ['2026-01-01T11:59:50Z', '10 s ago'],
      ['2026-01-01T11:30:00Z', '30 min ago'],
      ['2026-01-01T09:00:01Z', '2 h ago'],
      ['2025-12-29T12:00:00Z', '3 d ago'],
    ])('%s → %s', (iso, text) => {
      expect(relativeTime(iso, now)).toBe(text);
    });
  });

  it('formats counts, clocks and plurals', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatClock(Date.parse('2026-01-01T09:05:00Z'), 'UTC')).toBe('09:05');
    expect(formatClock(Date.parse('2026-01-01T23:59:00Z'), 'Europe/Berlin')).toBe('00:59');
    expect(plural(1, 'group', 'groups')).toBe('1 group');
    expect(plural(3, 'group', 'groups')).toBe('3 groups');
  });
});
