import { VERDICTS, type Verdict } from '@ksn/contracts';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CHANGE_REASONS } from './verdicts';

export const FAULT_KINDS = ['outage', 'rate_limited', 'error', 'latency', 'slow_body'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * The emulator's metrics, prefix `ksn_emulator_`, in a registry of its own
 * (one per emulator instance, never prom-client's global one). Label values
 * come from closed sets: route names, statuses, verdicts, fault kinds.
 */
export class EmulatorMetrics {
  readonly registry = new Registry();
  private readonly r = [this.registry];

  readonly requests = new Counter({
    name: 'ksn_emulator_requests_total',
    help: 'Requests by route and status (reset, hang or aborted when no status was sent)',
    labelNames: ['route', 'status'] as const,
    registers: this.r,
  });
  readonly requestDuration = new Histogram({
    name: 'ksn_emulator_request_duration_seconds',
    help: 'Request duration by route, injected latency included',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: this.r,
  });
  readonly lookupItems = new Counter({
    name: 'ksn_emulator_lookup_items_total',
    help: 'Looked-up keys by the verdict answered',
    labelNames: ['verdict'] as const,
    registers: this.r,
  });
  readonly verdictChanges = new Counter({
    name: 'ksn_emulator_verdict_changes_total',
    help: 'Entries published in the change feed by reason',
    labelNames: ['reason'] as const,
    registers: this.r,
  });
  readonly faults = new Counter({
    name: 'ksn_emulator_faults_injected_total',
    help: 'Requests a fault was injected into, by kind',
    labelNames: ['kind'] as const,
    registers: this.r,
  });
  readonly telemetryRecords = new Counter({
    name: 'ksn_emulator_telemetry_records_total',
    help: 'Telemetry records received by outcome',
    labelNames: ['outcome'] as const,
    registers: this.r,
  });

  constructor(sources: { waiting: () => number; pendingDetections: () => number }, defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'ksn_emulator_' });
    // Gauges computed at scrape time, no timers.
    new Gauge({
      name: 'ksn_emulator_change_feed_waiting',
      help: 'Long-polls of the change feed waiting now',
      registers: this.r,
      collect() {
        this.set(sources.waiting());
      },
    });
    new Gauge({
      name: 'ksn_emulator_urgent_detections_pending',
      help: 'Unknown objects due to get an urgent verdict',
      registers: this.r,
      collect() {
        this.set(sources.pendingDetections());
      },
    });
    for (const verdict of VERDICTS) this.lookupItems.inc({ verdict }, 0);
    for (const reason of CHANGE_REASONS) this.verdictChanges.inc({ reason }, 0);
    for (const kind of FAULT_KINDS) this.faults.inc({ kind }, 0);
    for (const outcome of ['accepted', 'duplicate']) this.telemetryRecords.inc({ outcome }, 0);
  }

  countLookups(byVerdict: Readonly<Record<Verdict, number>>): void {
    for (const verdict of VERDICTS)
      if (byVerdict[verdict] > 0) this.lookupItems.inc({ verdict }, byVerdict[verdict]);
  }
}
