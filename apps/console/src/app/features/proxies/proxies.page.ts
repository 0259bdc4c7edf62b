import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { CreatedProxy, ProxyDetail, ProxyStatus, TrafficLogEntry } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, placeError } from '../../core/http/api-error';
import { formatInstant } from '../../shared/list';
import { formatCount, humanBytes, relativeTime } from '../dashboard/format';
import { ProxiesApi } from './proxies.api';
import { KIND_LABELS, totalsByKind } from './traffic';

export function proxyNameError(name: string): string | null {
  const n = name.trim();
  if (!n) return 'Enter a name, e.g. the site the proxy serves.';
  return n.length > 200 ? 'At most 200 characters.' : null;
}

/** Registered proxies: add one (its API key is shown once), self-test, remove; the traffic monitor below. */
@Component({
  selector: 'ksn-proxies-page',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './proxies.page.html',
})
export class ProxiesPage {
  private readonly api = inject(ProxiesApi);
  protected readonly canWrite = inject(SessionService).canWrite;
  protected readonly relativeTime = relativeTime;
  protected readonly humanBytes = humanBytes;
  protected readonly formatCount = formatCount;
  protected readonly formatInstant = formatInstant;
  protected readonly kindLabels = KIND_LABELS;

  protected readonly proxies = signal<ProxyStatus[] | null>(null);
  protected readonly now = signal(Date.now());
  protected readonly error = signal<string | null>(null);
  protected name = '';
  protected readonly nameError = signal<string | null>(null);
  protected readonly created = signal<CreatedProxy | null>(null);
  protected readonly tests = signal<Record<string, ProxyDetail | string>>({});

  protected trafficProxy = '';
  protected trafficMinutes = 60;
  protected readonly traffic = signal<TrafficLogEntry[] | null>(null);
  protected readonly trafficError = signal<string | null>(null);
  protected readonly kinds = computed(() => totalsByKind(this.traffic() ?? []));
  protected readonly recent = computed(() =>
    [...(this.traffic() ?? [])].sort((a, b) => b.minute.localeCompare(a.minute)).slice(0, 30),
  );

  constructor() {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const list = await firstValueFrom(this.api.list());
      this.proxies.set(list);
      this.now.set(Date.now());
      this.error.set(null);
      if (!this.trafficProxy && list.length) {
        this.trafficProxy = list[0].id;
        await this.loadTraffic();
      }
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async add(): Promise<void> {
    const problem = proxyNameError(this.name);
    this.nameError.set(problem);
    if (problem) return;
    try {
      this.created.set(await firstValueFrom(this.api.create(this.name.trim())));
      this.name = '';
      await this.load();
    } catch (err) {
      const placed = placeError(err);
      if (placed.field === 'name' || placed.message.includes('name')) this.nameError.set(placed.message);
      else this.error.set(placed.message);
    }
  }

  protected async selfTest(p: ProxyStatus): Promise<void> {
    try {
      const detail = await firstValueFrom(this.api.detail(p.id));
      this.tests.update((t) => ({ ...t, [p.id]: detail }));
    } catch (err) {
      this.tests.update((t) => ({ ...t, [p.id]: apiErrorMessage(err) }));
    }
  }

  protected testOf(id: string): ProxyDetail | string | undefined {
    return this.tests()[id];
  }

  protected isDetail(t: ProxyDetail | string | undefined): t is ProxyDetail {
    return typeof t === 'object';
  }

  protected async remove(p: ProxyStatus): Promise<void> {
    try {
      await firstValueFrom(this.api.remove(p.id));
      if (this.trafficProxy === p.id) this.trafficProxy = '';
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  async loadTraffic(): Promise<void> {
    if (!this.trafficProxy) return;
    try {
      this.traffic.set(
        await firstValueFrom(this.api.traffic(this.trafficProxy, Number(this.trafficMinutes))),
      );
      this.trafficError.set(null);
    } catch (err) {
      this.trafficError.set(apiErrorMessage(err));
    }
  }
}
