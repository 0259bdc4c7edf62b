import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './hot-metrics';

export interface MetricSources {
  cacheEntries: () => number;
  snapshotVersion: () => number;
  snapshotAge: () => number;
  syncAge: () => number;
  circuitState: () => number;
  quotaTokens: () => number;
  spoolBytes: () => number;
  spoolRecords: () => number;
}

/**
 * The `route` label of the upstream metrics: what was asked (a closed set). `lookup`: a batch
 * of lookups; `telemetry`: a telemetry submission, forwarded or delivered from the spool;
 * `changes`: one poll of the verdict-change feed (the proxy's own, or one relayed for a branch).
 */
export type UpstreamRoute = 'lookup' | 'telemetry' | 'changes';
/** The `outcome` label: `open` and `quota` are questions refused without asking. */
export type UpstreamOutcome = 'success' | 'error' | 'timeout' | 'open' | 'quota';

/**
 * The proxy's metrics (names are a contract: DESIGN.md "Metrics"). One
 * registry per proxy instance; every label value comes from a closed set.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  // Updated on every request: hot-path metrics (hot-metrics.ts), children resolved once per label set.
  readonly requests = new HotCounter(
    'ksn_proxy_requests_total',
    'Endpoint requests by route and status',
    ['route', 'status'],
    this.registry,
  );
  readonly requestDuration = new HotHistogram(
    'ksn_proxy_request_duration_seconds',
    'Endpoint request duration by route',
    ['route'],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    this.registry,
  );
  readonly lookupItems = new HotCounter(
    'ksn_proxy_lookup_items_total',
    'Looked-up objects by module, answer source and verdict',
    ['module', 'source', 'verdict'],
    this.registry,
  );
  readonly bytesSaved = new HotCounter(
    'ksn_proxy_bytes_saved_total',
    'Upstream bytes not sent because the answer came from the cache',
    [],
    this.registry,
  ).child();
  readonly upstreamRequests = new Counter({
    name: 'ksn_proxy_upstream_requests_total',
    help: 'Requests to the upstream by route and outcome',
    labelNames: ['route', 'outcome'] as const,
    registers: this.r,
  });
  readonly upstreamDuration = new Histogram({
    name: 'ksn_proxy_upstream_request_duration_seconds',
    help: 'Upstream request duration by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: this.r,
  });
  readonly upstreamBytes = new Counter({
    name: 'ksn_proxy_upstream_bytes_total',
    help: 'Bytes exchanged with the upstream by direction',
    labelNames: ['direction'] as const,
    registers: this.r,
  });
  readonly cacheRejections = new Counter({
    name: 'ksn_proxy_cache_admission_rejections_total',
    help: 'New verdicts not cached because the admission policy preferred the entry they would evict',
    registers: this.r,
  });
  readonly cacheEvictions = new Counter({
    name: 'ksn_proxy_cache_evictions_total',
    help: 'Verdicts evicted from the cache to make room',
    registers: this.r,
  });
  readonly telemetry = new Counter({
    name: 'ksn_proxy_telemetry_total',
    help: 'Telemetry submissions by outcome',
    labelNames: ['outcome'] as const,
    registers: this.r,
  });
  readonly spoolDropped = new Counter({
    name: 'ksn_proxy_spool_dropped_total',
    help: 'Spooled telemetry submissions dropped (spool full, or refused by the upstream on delivery)',
    registers: this.r,
  });
  readonly quotaThrottled = new Counter({
    name: 'ksn_proxy_upstream_quota_throttled_total',
    help: 'Upstream requests not sent because the upstream quota was spent',
    registers: this.r,
  });

  /**
   * One request sent to the upstream: counted by route and outcome, its bytes added (bodies,
   * as sent and as read) and, when `seconds` is given, timed. A change-feed long-poll is not
   * timed: how long it waited is how quiet the feed was, not how fast the upstream answered.
   */
  upstreamExchange(
    route: UpstreamRoute,
    outcome: UpstreamOutcome,
    bytes: { sent: number; received: number },
    seconds?: number,
  ): void {
    this.upstreamRequests.inc({ route, outcome });
    if (bytes.sent > 0) this.upstreamBytes.inc({ direction: 'sent' }, bytes.sent);
    if (bytes.received > 0) this.upstreamBytes.inc({ direction: 'received' }, bytes.received);
    if (seconds !== undefined) this.upstreamDuration.observe({ route }, seconds);
  }

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `*_total`, which promtool rejects (a _total suffix is for counters).
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      this.registry.removeSingleMetric(name);
    // Gauges computed at scrape time, no timers.
    new Gauge({
      name: 'ksn_proxy_cache_entries',
      help: 'Verdicts in the cache',
      registers: this.r,
      collect() {
        this.set(sources.cacheEntries());
      },
    });
    new Gauge({
      name: 'ksn_proxy_policy_snapshot_version',
      help: 'Version of the policy snapshot in force (0: none yet)',
      registers: this.r,
      collect() {
        this.set(sources.snapshotVersion());
      },
    });
    new Gauge({
      name: 'ksn_proxy_policy_snapshot_age_seconds',
      help: 'Seconds since the snapshot in force was generated',
      registers: this.r,
      collect() {
        this.set(sources.snapshotAge());
      },
    });
    new Gauge({
      name: 'ksn_proxy_policy_sync_age_seconds',
      help: 'Seconds since security-center last answered a snapshot pull (since the proxy started, if it has not yet)',
      registers: this.r,
      collect() {
        this.set(sources.syncAge());
      },
    });
    new Gauge({
      name: 'ksn_proxy_circuit_state',
      help: 'Upstream circuit breaker: 0 closed, 1 open, 2 half-open',
      registers: this.r,
      collect() {
        this.set(sources.circuitState());
      },
    });
    new Gauge({
      name: 'ksn_proxy_upstream_quota_tokens',
      help: 'Upstream quota tokens available now (-1: no quota configured)',
      registers: this.r,
      collect() {
        this.set(sources.quotaTokens());
      },
    });
    new Gauge({
      name: 'ksn_proxy_spool_bytes',
      help: 'Bytes of telemetry waiting in the spool',
      registers: this.r,
      collect() {
        this.set(sources.spoolBytes());
      },
    });
    new Gauge({
      name: 'ksn_proxy_spool_records',
      help: 'Telemetry submissions waiting in the spool',
      registers: this.r,
      collect() {
        this.set(sources.spoolRecords());
      },
    });
    for (const outcome of ['forwarded', 'blocked_by_policy', 'failed', 'spooled'])
      this.telemetry.inc({ outcome }, 0);
  }
}
