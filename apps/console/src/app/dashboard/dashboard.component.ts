import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, signal, type OnDestroy, type OnInit } from '@angular/core';
import type { DashboardResponse } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { hitRatio, humanBytes, polyline, relativeTime } from './format';

const REFRESH_MS = 5000;

@Component({
  selector: 'ksn-dashboard',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <main>
      <h1>Dashboard <small>(last {{ data()?.windowMinutes ?? 60 }} minutes)</small></h1>
      @if (error(); as message) {
        <p class="error" role="alert">Could not load the dashboard: {{ message }}</p>
      }
      @if (data(); as d) {
        <section class="cards" aria-label="Traffic">
          <div class="card"><div class="value" data-testid="lookups">{{ d.totals.lookups }}</div><div class="label">Lookups</div></div>
          <div class="card"><div class="value" data-testid="cache-hits">{{ d.totals.cacheHits }}</div><div class="label">Cache hits ({{ ratio() ?? '–' }} %)</div></div>
          <div class="card"><div class="value">{{ d.totals.upstreamRequests }}</div><div class="label">Upstream requests</div></div>
          <div class="card"><div class="value">{{ saved() }}</div><div class="label">Bandwidth saved</div></div>
          <div class="card"><div class="value">{{ d.totals.upstreamErrors }}</div><div class="label">Upstream errors</div></div>
          <div class="card"><div class="value">{{ d.totals.staleAnswers }}</div><div class="label">Stale answers</div></div>
          <div class="card"><div class="value">{{ d.totals.telemetryForwarded }} / {{ d.totals.telemetryBlocked }}</div><div class="label">Telemetry sent / refused</div></div>
          <div class="card"><div class="value">{{ d.devices }} / {{ d.groups }}</div><div class="label">Devices / groups</div></div>
        </section>
        <section class="card" aria-label="Lookups per minute">
          <h2>Lookups and cache hits per minute</h2>
          <svg viewBox="0 0 600 120" width="100%" height="120" role="img" aria-label="Lookups (green) and cache hits (blue) per minute">
            <polyline [attr.points]="lookupLine()" fill="none" stroke="#0b6e4f" stroke-width="2" />
            <polyline [attr.points]="hitLine()" fill="none" stroke="#0969da" stroke-width="2" stroke-dasharray="4 2" />
          </svg>
        </section>
        <h2>Proxies</h2>
        @if (d.proxies.length === 0) {
          <p>No proxy connected yet.</p>
        } @else {
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">State</th><th scope="col">Last heartbeat</th><th scope="col">Snapshot</th><th scope="col">Cached verdicts</th></tr></thead>
            <tbody>
              @for (p of d.proxies; track p.id) {
                <tr>
                  <td>{{ p.name }}</td>
                  <td><span class="chip" [class.ok]="p.connected" [class.down]="!p.connected">{{ p.connected ? 'connected' : 'not connected' }}</span></td>
                  <td>{{ ago(p.lastHeartbeatAt) }}</td>
                  <td>{{ p.snapshotVersion ?? '–' }} (current {{ d.snapshotVersion }})</td>
                  <td>{{ p.cacheEntries ?? '–' }}</td>
                </tr>
              }
            </tbody>
          </table>
        }
      } @else if (!error()) {
        <p>Loading…</p>
      }
    </main>
  `,
})
export class DashboardComponent implements OnInit, OnDestroy {
  private readonly http = inject(HttpClient);
  protected readonly data = signal<DashboardResponse | undefined>(undefined);
  protected readonly error = signal<string | undefined>(undefined);
  private readonly now = signal(Date.now());
  private timer: ReturnType<typeof setInterval> | undefined;

  protected readonly ratio = computed(() => {
    const t = this.data()?.totals;
    return t ? hitRatio(t.lookups, t.cacheHits) : undefined;
  });
  protected readonly saved = computed(() => humanBytes(this.data()?.totals.bytesSaved ?? 0));
  protected readonly lookupLine = computed(() => polyline(this.data()?.series.map((p) => p.lookups) ?? [], 600, 110));
  protected readonly hitLine = computed(() => polyline(this.data()?.series.map((p) => p.cacheHits) ?? [], 600, 110));

  ngOnInit(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
  }

  ngOnDestroy(): void {
    clearInterval(this.timer);
  }

  protected ago(iso: string | null): string {
    return relativeTime(iso, this.now());
  }

  private async refresh(): Promise<void> {
    try {
      this.data.set(await firstValueFrom(this.http.get<DashboardResponse>('/api/v1/dashboard?minutes=60')));
      this.now.set(Date.now());
      this.error.set(undefined);
    } catch (e) {
      this.error.set(e instanceof HttpErrorResponse ? ((e.error as { message?: string } | null)?.message ?? e.message) : String(e));
    }
  }
}
