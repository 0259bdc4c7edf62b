import { addCounters, takeCounters, type Heartbeat, type HeartbeatCounters } from '@ksn/contracts';
import type { Logger } from '@ksn/service-kit';
import { request } from 'undici';
import type { Insights } from './insights';
import type { TrafficLog } from './traffic';

export interface HeartbeatOptions {
  securityCenterUrl: string;
  apiKey: string;
  intervalMs: number;
  /** Live counters; each beat sends what accumulated since the previous one. */
  counters: HeartbeatCounters;
  describe: () => Pick<Heartbeat, 'instanceId' | 'version' | 'snapshotVersion' | 'cacheEntries'>;
  insights: Insights;
  traffic: TrafficLog;
  log: Logger;
}

/**
 * Periodic heartbeat to security-center: counters, unknown objects, rule hits,
 * verdict changes and per-minute traffic since the last beat. A failed beat
 * puts everything back to be merged into the next one (bounded).
 */
export class Heartbeats {
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(private readonly opts: HeartbeatOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sending ??= this.beat().finally(() => (this.sending = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async beat(timeoutMs = 10_000): Promise<void> {
    const live = this.opts.counters;
    // Within the contract's bounds; what is over them (after a long outage) goes in the next beats.
    const sent = takeCounters(live);
    const insights = this.opts.insights.drain();
    const traffic = this.opts.traffic.drain();
    const body: Heartbeat = { ...this.opts.describe(), counters: sent };
    if (insights.unknownObjects.length > 0) body.unknownObjects = insights.unknownObjects;
    if (insights.ruleHits.length > 0) body.ruleHits = insights.ruleHits;
    if (insights.verdictChanges.length > 0) body.verdictChanges = insights.verdictChanges;
    if (traffic.length > 0) body.traffic = traffic;
    if (insights.activeDevices.length > 0) body.activeDevices = insights.activeDevices;
    try {
      const res = await request(`${this.opts.securityCenterUrl}/api/v1/proxy/heartbeat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      if (res.statusCode !== 204)
        throw Object.assign(new Error(`security-center answered ${res.statusCode}`), {
          status: res.statusCode,
        });
    } catch (e) {
      // Put the counts back so nothing is lost.
      addCounters(live, sent);
      const status = (e as { status?: number }).status;
      // A 400 means security-center refuses this body's details: resending them would fail forever.
      if (status !== 400) {
        this.opts.insights.restore(insights);
        this.opts.traffic.restore(traffic);
      }
      this.opts.log.warn('heartbeat failed', { error: (e as Error).message });
    }
  }

  /** Stops the timer and sends a last beat with what is left (briefly: shutdown must not wait on an absent security-center). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sending;
    await this.beat(2_000);
  }
}
