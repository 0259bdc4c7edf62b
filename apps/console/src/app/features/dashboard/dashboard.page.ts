import { ChangeDetectionStrategy, Component, InjectionToken, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import type { DashboardResponse } from '@ksn/contracts';
import { MatCard } from '@angular/material/card';
import { MatProgressBar } from '@angular/material/progress-bar';
import { BehaviorSubject, catchError, exhaustMap, interval, map, of, startWith, switchMap } from 'rxjs';
import { apiErrorMessage } from '../../core/http/api-error';
import { DashboardApi } from './dashboard.api';
import { formatClock } from './format';
import { ProxyTableComponent } from './proxy-table.component';
import { anyProxyReported, statCards } from './stats';
import { TrafficChartComponent } from './traffic-chart.component';

export const DASHBOARD_WINDOW_MINUTES = 60;
/** The windows the page offers: the stored aggregates over the last hour, day and 30 days. */
export const DASHBOARD_RANGES = [
  { minutes: 60, label: 'Last hour' },
  { minutes: 1440, label: 'Last day' },
  { minutes: 43_200, label: 'Last 30 days' },
] as const;
/** How often the page asks again while it is open. */
export const DASHBOARD_REFRESH_MS = new InjectionToken<number>('DASHBOARD_REFRESH_MS', {
  factory: () => 5000,
});

type Poll = { readonly data: DashboardResponse; readonly at: number } | { readonly error: string };

@Component({
  selector: 'ksn-dashboard-page',
  imports: [MatCard, MatProgressBar, ProxyTableComponent, TrafficChartComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './dashboard.page.html',
  styleUrl: './dashboard.page.scss',
})
export class DashboardPage {
  protected readonly ranges = DASHBOARD_RANGES;
  private readonly window$ = new BehaviorSubject<number>(DASHBOARD_WINDOW_MINUTES);
  protected readonly windowMinutes = signal<number>(DASHBOARD_WINDOW_MINUTES);
  protected readonly windowLabel = computed(
    () =>
      DASHBOARD_RANGES.find((r) => r.minutes === this.windowMinutes())?.label ??
      `Last ${this.windowMinutes()} minutes`,
  );
  protected readonly refreshSeconds = inject(DASHBOARD_REFRESH_MS) / 1000;

  protected readonly data = signal<DashboardResponse | null>(null);
  /** When `data` arrived (epoch ms): "now" for relative times and the chart's last minute. */
  protected readonly updatedAt = signal(0);
  protected readonly error = signal<string | null>(null);

  protected readonly cards = computed(() => {
    const d = this.data();
    return d ? statCards(d) : [];
  });
  protected readonly reported = computed(() => anyProxyReported(this.data()?.proxies ?? []));
  protected readonly updatedLabel = computed(() => formatClock(this.updatedAt()));

  protected setWindow(minutes: number): void {
    if (minutes === this.window$.value) return;
    this.window$.next(minutes);
  }

  constructor() {
    const api = inject(DashboardApi);
    // Ask now and every few seconds; skip a tick while a request is still out. Leaving the page
    // destroys the component, which unsubscribes: the timer stops and a pending request is cancelled.
    // A new window starts over (switchMap cancels the old poll and its request in flight).
    const refreshMs = inject(DASHBOARD_REFRESH_MS);
    this.window$
      .pipe(
        switchMap((minutes) =>
          interval(refreshMs).pipe(
            startWith(-1),
            exhaustMap(() =>
              api.get(minutes).pipe(
                map((data): Poll => ({ data, at: Date.now() })),
                catchError((err: unknown) => of<Poll>({ error: apiErrorMessage(err) })),
              ),
            ),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((poll) => {
        if ('error' in poll) {
          // Keep the last good numbers on screen; the banner says they are not fresh.
          this.error.set(poll.error);
          return;
        }
        this.data.set(poll.data);
        this.windowMinutes.set(poll.data.windowMinutes);
        this.updatedAt.set(poll.at);
        this.error.set(null);
      });
  }
}
