import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { addCounters, zeroCounters } from '@ksn/contracts';
import { DataSource, LessThan } from 'typeorm';
import { Session } from '../auth/session.entity';
import { CategoriesService } from '../categories/categories.service';
import { CONFIG, type Config } from '../config';
import { nowIso } from '../database/columns';
import { TrafficHour } from '../proxies/traffic-hour.entity';
import { TrafficLog } from '../proxies/traffic-log.entity';
import { TrafficMinute } from '../proxies/traffic-minute.entity';
import { LeaseService } from './lease.service';

const DAY_MS = 86_400_000;

/**
 * Background jobs, each under a database lease so that one instance runs it:
 * - maintenance (every JOBS_INTERVAL_SECONDS): per-minute traffic older than the retention is
 *   rolled up into hours and deleted; the traffic log likewise expires; expired sessions go;
 * - category sync: at start and every CATEGORY_SYNC_INTERVAL_SECONDS.
 */
@Injectable()
export class JobsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('jobs');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastCategorySync = 0;

  constructor(
    private readonly db: DataSource,
    private readonly leases: LeaseService,
    private readonly categories: CategoriesService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.JOBS_INTERVAL_SECONDS * 1000);
    this.timer.unref();
    this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.runDue()
      .catch((e: unknown) =>
        this.log.warn(`background jobs failed: ${e instanceof Error ? e.message : String(e)}`),
      )
      .finally(() => (this.running = undefined));
  }

  private async runDue(now = Date.now()): Promise<void> {
    const leaseMs = this.config.JOBS_INTERVAL_SECONDS * 1000 * 2;
    if (await this.leases.acquire('maintenance', leaseMs, now)) await this.maintenance(now);
    const every = this.config.CATEGORY_SYNC_INTERVAL_SECONDS * 1000;
    const due = this.lastCategorySync === 0 || (every > 0 && now - this.lastCategorySync >= every);
    if (due) {
      this.lastCategorySync = now;
      if (await this.leases.acquire('category-sync', Math.max(every, 60_000), now)) {
        try {
          await this.categories.sync('system');
        } catch (e) {
          this.log.warn(`category sync failed (will retry): ${e instanceof Error ? e.message : String(e)}`);
          this.lastCategorySync = now - every + 60_000; // retry in a minute
          await this.leases.release('category-sync');
        }
      }
    }
  }

  /** Roll-ups and retention. Idempotent: a crash half-way leaves nothing counted twice (one transaction). */
  async maintenance(now = Date.now()): Promise<{ rolledUp: number }> {
    const cutoff = new Date(
      Math.floor((now - this.config.TRAFFIC_RETENTION_DAYS * DAY_MS) / 3_600_000) * 3_600_000,
    ).toISOString();
    const rolledUp = await this.db.transaction(async (tx) => {
      const old = await tx.find(TrafficMinute, { where: { minute: LessThan(cutoff) } });
      const hours = new Map<string, TrafficHour>();
      for (const m of old) {
        const hour = `${m.minute.slice(0, 13)}:00:00.000Z`;
        const k = `${m.proxyId}|${hour}`;
        let h = hours.get(k);
        if (!h) {
          h = tx.create(TrafficHour, { proxyId: m.proxyId, hour, ...zeroCounters() });
          hours.set(k, h);
        }
        addCounters(h, m);
      }
      for (const h of hours.values()) {
        const existing = await tx.findOneBy(TrafficHour, { proxyId: h.proxyId, hour: h.hour });
        if (existing) addCounters(h, existing);
        await tx.save(TrafficHour, h);
      }
      await tx.delete(TrafficMinute, { minute: LessThan(cutoff) });
      await tx.delete(TrafficLog, { minute: LessThan(cutoff) });
      return old.length;
    });
    await this.db.getRepository(Session).delete({ expiresAt: LessThan(nowIso()) });
    return { rolledUp };
  }
}
