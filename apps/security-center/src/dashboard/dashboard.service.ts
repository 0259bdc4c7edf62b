import { Injectable } from '@nestjs/common';
import type { DashboardResponse, TrafficPoint } from '@ksn/contracts';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { Device } from '../devices/device.entity';
import { AdminGroup } from '../groups/group.entity';
import { ProxiesService } from '../proxies/proxies.service';
import { TrafficMinute } from '../proxies/traffic-minute.entity';
import { SnapshotService } from '../snapshot/snapshot.service';

const COUNTERS = ['lookups', 'cacheHits', 'upstreamRequests', 'upstreamErrors', 'staleAnswers', 'bytesSaved', 'telemetryForwarded', 'telemetryBlocked'] as const;

@Injectable()
export class DashboardService {
  constructor(
    private readonly db: DataSource,
    private readonly proxies: ProxiesService,
    private readonly snapshots: SnapshotService,
  ) {}

  async summary(minutes: number, now = Date.now()): Promise<DashboardResponse> {
    const since = new Date(Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000).toISOString();
    const [proxies, rows, devices, groups, snapshotVersion] = await Promise.all([
      this.proxies.statuses(now),
      this.db.getRepository(TrafficMinute).find({ where: { minute: MoreThanOrEqual(since) }, order: { minute: 'ASC' } }),
      this.db.getRepository(Device).count(),
      this.db.getRepository(AdminGroup).count(),
      this.snapshots.version(),
    ]);
    // Sum the proxies' rows per minute.
    const byMinute = new Map<string, TrafficPoint>();
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Omit<TrafficPoint, 'minute'>;
    for (const row of rows) {
      let point = byMinute.get(row.minute);
      if (!point) {
        point = { minute: row.minute, ...(Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Omit<TrafficPoint, 'minute'>) };
        byMinute.set(row.minute, point);
      }
      for (const c of COUNTERS) {
        point[c] += row[c];
        totals[c] += row[c];
      }
    }
    return { proxies, totals, series: [...byMinute.values()], windowMinutes: minutes, devices, groups, snapshotVersion };
  }
}
