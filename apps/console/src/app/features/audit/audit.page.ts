import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { AuditEntryView, AuditPage as Page } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { apiErrorMessage, placeError } from '../../core/http/api-error';
import { formatInstant, localInputToIso } from '../../shared/list';
import { AuditApi } from './audit.api';
import { auditDiff } from './audit-diff';

export const AUDIT_PAGE_SIZE = 50;

/** The append-only audit log: who changed what and when, filtered, with a before/after diff per entry. */
@Component({
  selector: 'ksn-audit-page',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './audit.page.html',
})
export class AuditPage {
  private readonly api = inject(AuditApi);
  protected readonly formatInstant = formatInstant;
  protected readonly pageSize = AUDIT_PAGE_SIZE;

  protected filter = { actor: '', objectType: '', objectId: '', from: '', to: '' };
  protected readonly page = signal<Page | null>(null);
  protected readonly offset = signal(0);
  protected readonly error = signal<string | null>(null);
  protected readonly rangeError = signal<string | null>(null);
  protected readonly open = signal<string | null>(null);
  protected readonly openEntry = computed(() => this.page()?.items.find((e) => e.id === this.open()) ?? null);
  protected readonly diff = computed(() => {
    const e = this.openEntry();
    return e ? auditDiff(e.before, e.after) : [];
  });

  constructor() {
    void this.load(0);
  }

  protected search(): void {
    void this.load(0);
  }

  async load(offset: number): Promise<void> {
    const from = localInputToIso(this.filter.from);
    const to = localInputToIso(this.filter.to);
    if (from && to && from > to) {
      this.rangeError.set('"From" must be before "to".');
      return;
    }
    this.rangeError.set(null);
    try {
      const { actor, objectType, objectId } = this.filter;
      this.page.set(
        await firstValueFrom(
          this.api.list({ actor, objectType, objectId, from, to }, AUDIT_PAGE_SIZE, offset),
        ),
      );
      this.offset.set(offset);
      this.error.set(null);
    } catch (err) {
      const placed = placeError(err);
      this.error.set(placed.field ? `${placed.field}: ${placed.message}` : apiErrorMessage(err));
    }
  }

  protected toggle(entry: AuditEntryView): void {
    this.open.update((id) => (id === entry.id ? null : entry.id));
  }
}
