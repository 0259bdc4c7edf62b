import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One registry per process (no prom-client globals), with the HTTP metrics of the API. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'ksn_security_center_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'ksn_security_center_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ksn_security_center_' });
  }
}
