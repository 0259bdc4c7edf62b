import { hitRatio, humanBytes, polyline, relativeTime } from './format';

describe('dashboard formatting', () => {
  it('computes the hit ratio, undefined without lookups', () => {
    expect(hitRatio(0, 0)).toBeUndefined();
    expect(hitRatio(3, 2)).toBe(66.7);
    expect(hitRatio(10, 10)).toBe(100);
  });

  it('shows bytes in human units', () => {
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(1536)).toBe('1.5 KB');
    expect(humanBytes(3 * 1024 ** 3)).toBe('3.0 GB');
  });

  it('says how long ago a heartbeat was', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(relativeTime(null, now)).toBe('never');
    expect(relativeTime('2026-01-01T11:59:50Z', now)).toBe('10 s ago');
    expect(relativeTime('2026-01-01T11:30:00Z', now)).toBe('30 min ago');
    expect(relativeTime('2025-12-30T12:00:00Z', now)).toBe('2 d ago');
  });

  it('scales a series into the chart box', () => {
    expect(polyline([], 100, 50)).toBe('');
    expect(polyline([0, 5, 10], 100, 50)).toBe('0,50 50,25 100,0');
  });
});
