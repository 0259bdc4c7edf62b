import type { DashboardResponse, ProxyStatus } from '@ksn/contracts';
import { formatCount, formatPercent, hitRatio, humanBytes, plural } from './format';

/** One number on the dashboard. `attention` marks a count that should be zero. */
export interface StatCard {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly detail: string;
  readonly attention: boolean;
}

/** The dashboard's stat cards, derived from one response. */
export function statCards(d: Pick<DashboardResponse, 'totals' | 'devices' | 'groups'>): StatCard[] {
  const t = d.totals;
  const ratio = hitRatio(t.lookups, t.cacheHits);
  const card = (id: string, label: string, value: string, detail: string, attention = false): StatCard => ({
    id,
    label,
    value,
    detail,
    attention,
  });
  return [
    card('lookups', 'Lookups', formatCount(t.lookups), 'files and URLs asked about'),
    card(
      'cache-hits',
      'Cache hits',
      formatCount(t.cacheHits),
      ratio === null ? 'no lookups yet' : `${formatPercent(ratio)} hit ratio`,
    ),
    card(
      'upstream-requests',
      'Upstream requests',
      formatCount(t.upstreamRequests),
      'questions sent to the cloud',
    ),
    card('bytes-saved', 'Bandwidth saved', humanBytes(t.bytesSaved), 'answered without the cloud'),
    card(
      'upstream-errors',
      'Upstream errors',
      formatCount(t.upstreamErrors),
      'failed cloud requests',
      t.upstreamErrors > 0,
    ),
    card(
      'stale-answers',
      'Stale answers',
      formatCount(t.staleAnswers),
      'expired verdicts served during outages',
      t.staleAnswers > 0,
    ),
    card(
      'telemetry',
      'Telemetry forwarded / refused',
      `${formatCount(t.telemetryForwarded)} / ${formatCount(t.telemetryBlocked)}`,
      'refused when policy disables sending',
    ),
    card('devices', 'Devices', formatCount(d.devices), `in ${plural(d.groups, 'group', 'groups')}`),
  ];
}

/** Whether any proxy has sent a heartbeat yet (a registered proxy that never reported does not count). */
export function anyProxyReported(proxies: readonly ProxyStatus[]): boolean {
  return proxies.some((p) => p.lastHeartbeatAt !== null);
}

/** A proxy serves an older policy than the current snapshot. */
export function snapshotBehind(proxy: ProxyStatus, current: number): boolean {
  return proxy.snapshotVersion !== null && proxy.snapshotVersion < current;
}
