import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** How long a scrape waits for the database probe. */
const PROBE_TIMEOUT_MS = 2000;

/** One registry per process (no prom-client globals), with the HTTP metrics of the API. */
@Injectable()
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

  constructor(db: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'ksn_security_center_' });
    // Computed at scrape time (no timer): 1 when the database answers, else 0. Alert rules use it.
    new Gauge({
      name: 'ksn_sc_database_up',
      help: 'Whether the database answered a probe at scrape time (1) or not (0)',
      registers: [this.registry],
      async collect() {
        this.set((await probe(db)) ? 1 : 0);
      },
    });
  }
}

/** `SELECT 1` with a deadline: true when the database answers. */
export async function probe(db: DataSource): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database probe timed out')), PROBE_TIMEOUT_MS);
    });
    await Promise.race([db.query('SELECT 1'), deadline]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
