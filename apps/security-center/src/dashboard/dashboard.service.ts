import { Injectable } from '@nestjs/common';
import {
  addCounters,
  zeroCounters,
  type DashboardRates,
  type DashboardResponse,
  type HeartbeatCounters,
  type ProxyTotals,
  type TrafficPoint,
} from '@ksn/contracts';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { Device } from '../devices/device.entity';
import { AdminGroup } from '../groups/group.entity';
import { ProxiesService } from '../proxies/proxies.service';
import { TrafficHour } from '../proxies/traffic-hour.entity';
import { TrafficMinute } from '../proxies/traffic-minute.entity';
import { SnapshotService } from '../snapshot/snapshot.service';
import { UnknownObjectsService } from '../unknown-objects/unknown-objects.service';

export const RANGES = { hour: 60, day: 1440, month: 43_200 } as const;

/** Series resolution: per minute up to 2 hours, 15 minutes up to 2 days, hourly beyond. */
export function bucketFor(minutes: number): number {
  if (minutes <= 120) return 1;
  if (minutes <= 2880) return 15;
  return 60;
}

export function rates(c: HeartbeatCounters, seconds: number): DashboardRates {
  return {
    lookupsPerSecond: seconds > 0 ? c.lookups / seconds : 0,
    hitRatio: c.lookups > 0 ? c.cacheHits / c.lookups : 0,
  };
}

@Injectable()
export class DashboardService {
  constructor(
    private readonly db: DataSource,
    private readonly proxies: ProxiesService,
    private readonly snapshots: SnapshotService,
    private readonly unknown: UnknownObjectsService,
  ) {}

  async summary(minutes: number, now = Date.now()): Promise<DashboardResponse> {
    const bucketMinutes = bucketFor(minutes);
    const bucketMs = bucketMinutes * 60_000;
    const since = new Date(Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000).toISOString();
    const [proxies, minuteRows, hourRows, devices, groups, snapshotVersion, openAlerts] = await Promise.all([
      this.proxies.statuses(now),
      this.db
        .getRepository(TrafficMinute)
        .find({ where: { minute: MoreThanOrEqual(since) }, order: { minute: 'ASC' } }),
      // Beyond the retention only hourly roll-ups are left.
      this.db
        .getRepository(TrafficHour)
        .find({ where: { hour: MoreThanOrEqual(since) }, order: { hour: 'ASC' } }),
      this.db.getRepository(Device).count(),
      this.db.getRepository(AdminGroup).count(),
      this.snapshots.version(),
      this.unknown.countOpenAlerts(),
    ]);
    const rows: { proxyId: string; at: string; counters: HeartbeatCounters }[] = [
      ...hourRows.map((r) => ({ proxyId: r.proxyId, at: r.hour, counters: r })),
      ...minuteRows.map((r) => ({ proxyId: r.proxyId, at: r.minute, counters: r })),
    ];
    const byBucket = new Map<string, TrafficPoint>();
    const perProxy = new Map<string, HeartbeatCounters>();
    const totals = zeroCounters();
    for (const row of rows) {
      const start = new Date(Math.floor(Date.parse(row.at) / bucketMs) * bucketMs).toISOString();
      let point = byBucket.get(start);
      if (!point) {
        point = { minute: start, ...zeroCounters() };
        byBucket.set(start, point);
      }
      addCounters(point, row.counters);
      addCounters(totals, row.counters);
      let p = perProxy.get(row.proxyId);
      if (!p) {
        p = zeroCounters();
        perProxy.set(row.proxyId, p);
      }
      addCounters(p, row.counters);
    }
    const seconds = minutes * 60;
    const names = new Map(proxies.map((p) => [p.id, p.name]));
    const perProxyList: ProxyTotals[] = proxies.map((p) => {
      const c = perProxy.get(p.id) ?? zeroCounters();
      return { proxyId: p.id, name: names.get(p.id) ?? p.id, totals: c, rates: rates(c, seconds) };
    });
    const series = [...byBucket.values()].sort((a, b) => a.minute.localeCompare(b.minute));
    return {
      proxies,
      totals,
      series,
      windowMinutes: minutes,
      devices,
      groups,
      snapshotVersion,
      bucketMinutes,
      rates: rates(totals, seconds),
      perProxy: perProxyList,
      openAlerts,
    };
  }
}
