import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import type { ProxyStatus } from '@ksn/contracts';
import { MatTableModule } from '@angular/material/table';
import { formatCount, relativeTime } from './format';
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

  protected readonly columns = ['name', 'status', 'heartbeat', 'snapshot', 'cache'];
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
