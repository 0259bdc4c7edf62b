import { Injectable } from '@nestjs/common';
import { addCounters, zeroCounters, type DashboardResponse, type TrafficPoint } from '@ksn/contracts';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { Device } from '../devices/device.entity';
import { AdminGroup } from '../groups/group.entity';
import { ProxiesService } from '../proxies/proxies.service';
import { TrafficMinute } from '../proxies/traffic-minute.entity';
import { SnapshotService } from '../snapshot/snapshot.service';

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
    const totals = zeroCounters();
    for (const row of rows) {
      let point = byMinute.get(row.minute);
      if (!point) {
        point = { minute: row.minute, ...zeroCounters() };
        byMinute.set(row.minute, point);
      }
      addCounters(point, row);
      addCounters(totals, row);
    }
    return { proxies, totals, series: [...byMinute.values()], windowMinutes: minutes, devices, groups, snapshotVersion };
  }
}
