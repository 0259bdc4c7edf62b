import { dashboardResponse, proxyStatus } from '../../../testing/fixtures';
import { anyProxyReported, snapshotBehind, statCards } from './stats';

describe('dashboard stats', () => {
  const byId = (
    cards: ReturnType<typeof statCards>,
  ): Record<string, { value: string; detail: string; attention: boolean }> =>
    Object.fromEntries(cards.map((c) => [c.id, c]));

  it('derives every card from the totals', () => {
    const cards = byId(
      statCards(
        dashboardResponse({
          totals: {
            lookups: 12_000,
            cacheHits: 9_000,
            upstreamRequests: 3_000,
            upstreamErrors: 0,
            staleAnswers: 4,
            bytesSaved: 52_400_000,
            telemetryForwarded: 120,
            telemetryBlocked: 7,
          },
          devices: 250,
          groups: 3,
        }),
      ),
    );
    expect(cards['lookups'].value).toBe('12,000');
    expect(cards['cache-hits']).toMatchObject({ value: '9,000', detail: '75% hit ratio' });
    expect(cards['upstream-requests'].value).toBe('3,000');
    expect(cards['bytes-saved'].value).toBe('52.4 MB');
    expect(cards['upstream-errors']).toMatchObject({ value: '0', attention: false });
    expect(cards['stale-answers']).toMatchObject({ value: '4', attention: true });
    expect(cards['telemetry'].value).toBe('120 / 7');
    expect(cards['devices']).toMatchObject({ value: '250', detail: 'in 3 groups' });
  });

  it('has no hit ratio before the first lookup', () => {
    expect(byId(statCards(dashboardResponse()))['cache-hits'].detail).toBe('no lookups yet');
  });

  it('knows whether any proxy has reported', () => {
    expect(anyProxyReported([])).toBe(false);
    expect(anyProxyReported([proxyStatus({ lastHeartbeatAt: null })])).toBe(false);
    expect(
      anyProxyReported([proxyStatus(), proxyStatus({ id: 'p2', lastHeartbeatAt: '2026-01-01T00:00:00Z' })]),
    ).toBe(true);
  });

  it('flags a proxy on an older policy snapshot', () => {
    expect(snapshotBehind(proxyStatus({ snapshotVersion: 3 }), 4)).toBe(true);
    expect(snapshotBehind(proxyStatus({ snapshotVersion: 4 }), 4)).toBe(false);
    expect(snapshotBehind(proxyStatus({ snapshotVersion: null }), 4)).toBe(false);
  });
});
