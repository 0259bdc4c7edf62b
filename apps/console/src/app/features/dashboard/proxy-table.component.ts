import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ProxyStatus, ProxyTotals } from '@ksn/contracts';
import { MatTableModule } from '@angular/material/table';
import { formatCount, formatPercent, humanBytes, relativeTime } from './format';
import { snapshotBehind } from './stats';

/** The registered proxies and their health. */
@Component({
  selector: 'ksn-proxy-table',
  imports: [MatTableModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './proxy-table.component.html',
  styleUrl: './proxy-table.component.scss',
})
export class ProxyTableComponent {
  readonly proxies = input.required<readonly ProxyStatus[]>();
  /** The snapshot version Security Center serves now. */
  readonly currentSnapshot = input.required<number>();
  /** The time the data is as of (epoch ms), for "… ago". */
  readonly now = input.required<number>();

  /** Each proxy's totals and rates over the dashboard's window (absent from older servers). */
  readonly perProxy = input<readonly ProxyTotals[] | undefined>(undefined);

  private readonly byProxy = computed(() => new Map((this.perProxy() ?? []).map((t) => [t.proxyId, t])));
  protected readonly trafficColumns = [
    { id: 'rate', label: 'Lookups/s' },
    { id: 'hits', label: 'Hit ratio' },
    { id: 'saved', label: 'Saved' },
    { id: 'errors', label: 'Upstream errors / stale' },
    { id: 'refused', label: 'Telemetry refused' },
  ] as const;

  /** Traffic columns only when the server sent per-proxy totals. */
  protected readonly columns = computed(() => [
    ...['name', 'status', 'heartbeat', 'snapshot', 'cache'],
    ...(this.perProxy() ? this.trafficColumns.map((c) => c.id) : []),
  ]);

  /** One proxy's traffic figure for a column, "–" when it sent none in the window. */
  protected traffic(proxy: ProxyStatus, column: 'rate' | 'hits' | 'saved' | 'errors' | 'refused'): string {
    const t = this.byProxy().get(proxy.id);
    if (!t) return '–';
    switch (column) {
      case 'rate':
        return t.rates.lookupsPerSecond.toFixed(t.rates.lookupsPerSecond < 10 ? 2 : 0);
      case 'hits':
        return t.totals.lookups > 0 ? formatPercent(t.rates.hitRatio) : '–';
      case 'saved':
        return humanBytes(t.totals.bytesSaved);
      case 'errors':
        return `${formatCount(t.totals.upstreamErrors)} / ${formatCount(t.totals.staleAnswers)}`;
      case 'refused':
        return formatCount(t.totals.telemetryBlocked);
    }
  }
  protected readonly trackById = (_index: number, proxy: ProxyStatus): string => proxy.id;

  protected ago(iso: string | null): string {
    return relativeTime(iso, this.now());
  }

  protected count(n: number | null): string {
    return n === null ? '–' : formatCount(n);
  }

  protected behind(proxy: ProxyStatus): boolean {
    return snapshotBehind(proxy, this.currentSnapshot());
  }
}
