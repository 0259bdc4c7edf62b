import type { TrafficPoint } from '@ksn/contracts';
import { buildTrafficChart, minuteBuckets, niceCeiling } from './traffic-chart';

const point = (minute: string, lookups: number, cacheHits: number): TrafficPoint => ({
  minute,
  lookups,
  cacheHits,
  upstreamRequests: 0,
  upstreamErrors: 0,
  staleAnswers: 0,
  bytesSaved: 0,
  telemetryForwarded: 0,
  telemetryBlocked: 0,
});

describe('traffic chart', () => {
  const now = Date.parse('2026-01-01T12:04:30Z');

  describe(minuteBuckets.name, () => {
    it('has one bucket per minute of the window ending at the current minute, gaps at zero', () => {
      const buckets = minuteBuckets(
        [point('2026-01-01T12:01:00.000Z', 10, 4), point('2026-01-01T12:04:00.000Z', 6, 6)],
        5,
        now,
      );
      expect(buckets.map((b) => new Date(b.minute).toISOString().slice(11, 16))).toEqual([
        '12:00',
        '12:01',
        '12:02',
        '12:03',
        '12:04',
      ]);
      expect(buckets.map((b) => b.lookups)).toEqual([0, 10, 0, 0, 6]);
      expect(buckets.map((b) => b.cacheHits)).toEqual([0, 4, 0, 0, 6]);
    });

    it('drops minutes older than the window', () => {
      const buckets = minuteBuckets(
        [point('2026-01-01T11:00:00Z', 99, 99), point('2026-01-01T12:03:00Z', 1, 1)],
        3,
        now,
      );
      expect(buckets.map((b) => b.lookups)).toEqual([0, 1, 0]);
    });

    it("ends at the newest point when the server's clock is ahead", () => {
      const buckets = minuteBuckets([point('2026-01-01T12:06:00Z', 5, 5)], 3, now);
      expect(new Date(buckets[2].minute).toISOString()).toBe('2026-01-01T12:06:00.000Z');
      expect(buckets.map((b) => b.lookups)).toEqual([0, 0, 5]);
    });
  });

  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [10, 10],
    [11, 20],
    [120, 200],
    [501, 1000],
  ])('niceCeiling(%d) = %d', (n, top) => {
    expect(niceCeiling(n)).toBe(top);
  });

  describe(buildTrafficChart.name, () => {
    it('scales both lines onto one axis topped by a round number, 0 at the bottom', () => {
      const chart = buildTrafficChart(
        [
          { minute: 0, lookups: 0, cacheHits: 0 },
          { minute: 60_000, lookups: 100, cacheHits: 50 },
          { minute: 120_000, lookups: 200, cacheHits: 200 },
        ],
        100,
        50,
      );
      expect(chart.yMax).toBe(200);
      expect(chart.lookups).toBe('0,50 50,25 100,0');
      expect(chart.cacheHits).toBe('0,50 50,37.5 100,0');
      expect(chart).toMatchObject({ from: 0, to: 120_000, peakLookups: 200, peakCacheHits: 200 });
    });

    it('draws a flat line at the bottom when there is no traffic', () => {
      const chart = buildTrafficChart(minuteBuckets([], 3, now), 100, 50);
      expect(chart.yMax).toBe(1);
      expect(chart.lookups).toBe('0,50 50,50 100,50');
    });
  });
});

describe('minuteBuckets with wider buckets', () => {
  it('makes one bucket per 15 minutes over a day, filling gaps with zero', () => {
    const now = Date.parse('2026-01-01T12:07:00Z');
    const series = [point('2026-01-01T11:45:00Z', 9, 3)];
    const buckets = minuteBuckets(series, 1440, now, 15);
    expect(buckets).toHaveLength(96);
    expect(new Date(buckets[95].minute).toISOString()).toBe('2026-01-01T12:00:00.000Z');
    expect(buckets[94]).toEqual({ minute: Date.parse('2026-01-01T11:45:00Z'), lookups: 9, cacheHits: 3 });
    expect(buckets[0].lookups).toBe(0);
  });
});
