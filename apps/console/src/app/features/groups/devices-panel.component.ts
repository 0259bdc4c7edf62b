import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  output,
  signal,
  untracked,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { DevicePage, DeviceView, GroupView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage } from '../../core/http/api-error';
import { treeRows } from '../../shared/group-tree';
import { formatInstant } from '../../shared/list';
import { relativeTime } from '../dashboard/format';
import { DevicesApi } from './devices.api';

/** Devices directly in one group: last seen, revoke, move to another group. */
@Component({
  selector: 'ksn-devices-panel',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="ksn-panel" aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      @if (error(); as m) {
        <p class="ksn-banner error" role="alert">{{ m }}</p>
      }
      @if (notice(); as m) {
        <p class="ksn-banner info" role="status">{{ m }}</p>
      }
      @if (page(); as p) {
        @if (p.items.length) {
          <div class="ksn-table-wrap">
            <table class="ksn-table" data-testid="device-table">
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Enrolled (UTC)</th>
                  <th scope="col">Status</th>
                  @if (canWrite()) {
                    <th scope="col">Move to</th>
                    <th scope="col"><span class="ksn-muted">Revoke</span></th>
                  }
                </tr>
              </thead>
              <tbody>
                @for (d of p.items; track d.id) {
                  <tr>
                    <td>{{ d.name }}</td>
                    <td>{{ relativeTime(d.lastSeenAt, now()) }}</td>
                    <td>{{ formatInstant(d.enrolledAt) }}</td>
                    <td>
                      @if (d.revokedAt) {
                        <span class="ksn-chip bad">revoked</span>
                      } @else {
                        <span class="ksn-chip good">active</span>
                      }
                    </td>
                    @if (canWrite()) {
                      <td>
                        <select
                          [attr.aria-label]="'Move ' + d.name + ' to group'"
                          (change)="move(d, $any($event.target).value)"
                          [disabled]="!!d.revokedAt"
                        >
                          <option value="">—</option>
                          @for (r of targets(); track r.group.id) {
                            <option [value]="r.group.id">{{ r.indent }}{{ r.group.name }}</option>
                          }
                        </select>
                      </td>
                      <td>
                        <button
                          matButton
                          type="button"
                          [disabled]="!!d.revokedAt"
                          (click)="revoke(d)"
                          [attr.aria-label]="'Revoke ' + d.name"
                        >
                          Revoke
                        </button>
                      </td>
                    }
                  </tr>
                }
              </tbody>
            </table>
          </div>
          @if (p.total > p.items.length) {
            <p class="ksn-sub">Showing {{ p.items.length }} of {{ p.total }}.</p>
          }
        } @else {
          <p class="ksn-muted">No device in this group.</p>
        }
      }
    </section>
  `,
})
export class DevicesPanelComponent {
  private readonly api = inject(DevicesApi);
  protected readonly canWrite = inject(SessionService).canWrite;
  protected readonly formatInstant = formatInstant;
  protected readonly relativeTime = relativeTime;
  readonly group = input.required<GroupView>();
  readonly groups = input.required<GroupView[]>();
  /** A device left or changed: the tree's counts are stale. */
  readonly changed = output();

  protected readonly page = signal<DevicePage | null>(null);
  protected readonly now = signal(Date.now());
  protected readonly error = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  protected readonly targets = computed(() =>
    treeRows(this.groups()).filter((r) => r.group.id !== this.group().id),
  );

  constructor() {
    effect(() => {
      const id = this.group().id;
      untracked(() => {
        this.notice.set(null);
        void this.load(id);
      });
    });
  }

  private async load(groupId: string): Promise<void> {
    try {
      this.page.set(await firstValueFrom(this.api.devices(groupId)));
      this.now.set(Date.now());
      this.error.set(null);
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async revoke(d: DeviceView): Promise<void> {
    try {
      await firstValueFrom(this.api.revoke(d.id));
      this.notice.set(`Revoked ${d.name}: proxies refuse its token from the next snapshot on.`);
      await this.load(this.group().id);
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async move(d: DeviceView, groupId: string): Promise<void> {
    if (!groupId) return;
    try {
      await firstValueFrom(this.api.move([d.id], groupId));
      this.notice.set(`Moved ${d.name}.`);
      await this.load(this.group().id);
      this.changed.emit();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }
}
