/**
 * Metric names the operations files may use: DESIGN.md "Metrics" (ksn-proxy), the ones
 * being added with the telemetry spool, circuit breaker and upstream quota, and
 * security-center's. Dashboards and alert rules are checked against this list.
 */
export const PROXY_METRICS = [
  'ksn_proxy_requests_total',
  'ksn_proxy_request_duration_seconds',
  'ksn_proxy_lookup_items_total',
  'ksn_proxy_upstream_requests_total',
  'ksn_proxy_upstream_request_duration_seconds',
  'ksn_proxy_upstream_bytes_total',
  'ksn_proxy_bytes_saved_total',
  'ksn_proxy_cache_entries',
  'ksn_proxy_cache_evictions_total',
  'ksn_proxy_telemetry_total',
  'ksn_proxy_policy_snapshot_version',
  'ksn_proxy_policy_snapshot_age_seconds',
  'ksn_proxy_policy_sync_age_seconds',
] as const;

/** Added with the telemetry spool, circuit breaker and upstream quota. */
export const PROXY_METRICS_COMING = [
  'ksn_proxy_spool_bytes',
  'ksn_proxy_spool_records',
  'ksn_proxy_spool_dropped_total',
  'ksn_proxy_circuit_state',
  'ksn_proxy_upstream_quota_tokens',
  'ksn_proxy_upstream_quota_throttled_total',
] as const;

export const CENTER_METRICS = ['ksn_sc_database_up'] as const;

/** security-center's HTTP metrics (apps/security-center/src/health/metrics.ts). */
export const CENTER_HTTP_METRICS = [
  'ksn_security_center_http_requests_total',
  'ksn_security_center_http_request_duration_seconds',
] as const;

/** Histograms are queried through their series. */
export const HISTOGRAMS = [
  'ksn_proxy_request_duration_seconds',
  'ksn_proxy_upstream_request_duration_seconds',
  'ksn_security_center_http_request_duration_seconds',
];

export function knownSeries(): Set<string> {
  const names = new Set<string>([
    'up',
    ...PROXY_METRICS,
    ...PROXY_METRICS_COMING,
    ...CENTER_METRICS,
    ...CENTER_HTTP_METRICS,
  ]);
  for (const h of HISTOGRAMS) for (const s of ['_bucket', '_sum', '_count']) names.add(h + s);
  return names;
}

/** Metric names (not functions, labels or keywords) in a PromQL expression. */
export function metricNames(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}');
  const out = new Set<string>();
  for (const m of noStrings.matchAll(/(?<![\w:])([a-zA-Z_:][\w:]*)(?![\w:]*\s*\()/g)) {
    const name = m[1]!;
    if (
      /^(by|without|on|ignoring|group_left|group_right|and|or|unless|bool|offset|le|instance|job|source|outcome|route|status|direction|verdict|module)$/.test(
        name,
      )
    )
      continue;
    if (name.startsWith('ksn_') || name === 'up') out.add(name);
  }
  return [...out];
}
