import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButton } from '@angular/material/button';
import type {
  CreateOverrideRequest,
  OverrideAction,
  UnknownObjectPage,
  UnknownObjectView,
  VerdictAlertView,
} from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage } from '../../core/http/api-error';
import { formatInstant } from '../../shared/list';
import { OVERRIDES_URL } from '../overrides/overrides.api';
import { describeKey } from '../overrides/override-form';

export const UNKNOWN_URL = '/api/v1/unknown-objects';
export const ALERTS_URL = '/api/v1/alerts';

/** The override request that decides an object known by its key (`sha256:…`, `md5:…`, `url:…`). */
export function overrideForKey(key: string, action: OverrideAction, comment: string): CreateOverrideRequest {
  const i = key.indexOf(':');
  const [kind, value] = [key.slice(0, i), key.slice(i + 1)];
  return kind === 'url' ? { url: value, action, comment } : { hash: value, action, comment };
}

/** Objects the cloud does not know yet, seen in this network (decide on them), and verdict-change alerts. */
@Component({
  selector: 'ksn-unknown-page',
  imports: [MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './unknown.page.html',
})
export class UnknownPage {
  private readonly http = inject(HttpClient);
  protected readonly canWrite = inject(SessionService).canWrite;
  protected readonly formatInstant = formatInstant;
  protected readonly describeKey = describeKey;

  protected readonly objects = signal<UnknownObjectPage | null>(null);
  protected readonly alerts = signal<VerdictAlertView[] | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);

  constructor() {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const [objects, alerts] = await Promise.all([
        firstValueFrom(this.http.get<UnknownObjectPage>(UNKNOWN_URL, { params: { limit: 100 } })),
        firstValueFrom(this.http.get<VerdictAlertView[]>(ALERTS_URL, { params: { acknowledged: 'false' } })),
      ]);
      this.objects.set(objects);
      this.alerts.set(alerts);
      this.error.set(null);
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async decide(o: UnknownObjectView, action: OverrideAction): Promise<void> {
    try {
      await firstValueFrom(
        this.http.post(OVERRIDES_URL, overrideForKey(o.key, action, 'decided from the unknown objects list')),
      );
      this.notice.set(
        `${action === 'block' ? 'Blocked' : 'Allowed'} ${describeKey(o.key)[1]} for every device.`,
      );
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async acknowledge(a: VerdictAlertView): Promise<void> {
    try {
      await firstValueFrom(this.http.post(`${ALERTS_URL}/${encodeURIComponent(a.id)}/acknowledge`, {}));
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }
}
