import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { TrafficPoint } from '@ksn/contracts';
import { formatClock, formatCount } from './format';
import { buildTrafficChart, minuteBuckets } from './traffic-chart';

const WIDTH = 600;
const HEIGHT = 160;

/** Lookups and cache hits per minute as an inline SVG line chart (no chart library). */
@Component({
  selector: 'ksn-traffic-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './traffic-chart.component.html',
  styleUrl: './traffic-chart.component.scss',
})
export class TrafficChartComponent {
  readonly series = input.required<readonly TrafficPoint[]>();
  readonly windowMinutes = input.required<number>();
  /** Minutes per series point. */
  readonly bucketMinutes = input(1);
  /** The time the data is as of (epoch ms). */
  readonly now = input.required<number>();

  protected readonly width = WIDTH;
  protected readonly height = HEIGHT;
  protected readonly chart = computed(() =>
    buildTrafficChart(
      minuteBuckets(this.series(), this.windowMinutes(), this.now(), this.bucketMinutes()),
      WIDTH,
      HEIGHT,
    ),
  );
  protected readonly yLabels = computed(() => {
    const max = this.chart().yMax;
    return [formatCount(max), formatCount(max / 2), '0'];
  });
  /** Clock times for an hour, dates with times for longer windows. */
  private label(ms: number): string {
    return this.windowMinutes() > 120
      ? `${new Date(ms).toISOString().slice(5, 10)} ${formatClock(ms)}`
      : formatClock(ms);
  }
  protected readonly fromLabel = computed(() => this.label(this.chart().from));
  protected readonly toLabel = computed(() => this.label(this.chart().to));
  /** What the picture shows, for screen readers. */
  protected readonly summary = computed(() => {
    const c = this.chart();
    return (
      `Lookups and cache hits per ${this.bucketMinutes() === 1 ? 'minute' : `${this.bucketMinutes()} minutes`} from ${this.fromLabel()} to ${this.toLabel()}: ` +
      `at most ${formatCount(c.peakLookups)} lookups and ${formatCount(c.peakCacheHits)} cache hits in a ${this.bucketMinutes() === 1 ? 'minute' : 'point'}.`
    );
  });
}
