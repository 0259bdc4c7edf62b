import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { OverrideView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, errorIsFor, placeError, type PlacedError } from '../../core/http/api-error';
import { formatInstant } from '../../shared/list';
import { OverridesApi } from './overrides.api';
import { describeKey, overrideRequest, validateOverride, type OverrideFormValue } from './override-form';

const EMPTY: OverrideFormValue = { target: 'hash', value: '', action: 'block', comment: '', expires: '' };

/** Admin overrides: allow or block a file hash or URL for the whole network, with comment and expiry. */
@Component({
  selector: 'ksn-overrides-page',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './overrides.page.html',
})
export class OverridesPage {
  private readonly api = inject(OverridesApi);
  protected readonly canWrite = inject(SessionService).canWrite;
  protected readonly formatInstant = formatInstant;
  protected readonly describeKey = describeKey;

  protected readonly items = signal<OverrideView[] | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected form: OverrideFormValue = { ...EMPTY };
  protected readonly submitted = signal(false);
  protected readonly saving = signal(false);
  protected readonly serverError = signal<PlacedError | null>(null);
  protected readonly notice = signal<string | null>(null);
  /** Bumped on every edit so `errors` recomputes (the form object is plain, ngModel mutates it). */
  private readonly edits = signal(0);
  protected readonly errors = computed(() => {
    this.edits();
    return this.submitted() ? validateOverride(this.form, Date.now()) : {};
  });

  constructor() {
    void this.load();
  }

  protected edited(): void {
    this.edits.update((n) => n + 1);
    this.serverError.set(null);
  }

  protected serverErrorFor(name: string): string | null {
    const e = this.serverError();
    return errorIsFor(e, name) ? e!.message : null;
  }

  /** A server error the form cannot place beside a field. */
  protected readonly formError = computed(() => {
    const e = this.serverError();
    if (!e) return null;
    return ['hash', 'url', 'comment', 'expiresAt', 'action'].some((f) => errorIsFor(e, f)) ? null : e.message;
  });

  async load(): Promise<void> {
    try {
      this.items.set(await firstValueFrom(this.api.list()));
      this.loadError.set(null);
    } catch (err) {
      this.loadError.set(apiErrorMessage(err));
    }
  }

  protected async submit(): Promise<void> {
    this.submitted.set(true);
    this.edited();
    this.notice.set(null);
    if (Object.keys(validateOverride(this.form, Date.now())).length > 0) return;
    this.saving.set(true);
    try {
      const created = await firstValueFrom(this.api.create(overrideRequest(this.form)));
      this.notice.set(
        `${created.action === 'block' ? 'Blocked' : 'Allowed'} ${describeKey(created.key)[1]}.`,
      );
      this.form = { ...EMPTY, target: this.form.target, action: this.form.action };
      this.submitted.set(false);
      await this.load();
    } catch (err) {
      this.serverError.set(placeError(err));
    } finally {
      this.saving.set(false);
    }
  }

  protected async remove(item: OverrideView): Promise<void> {
    this.notice.set(null);
    try {
      await firstValueFrom(this.api.remove(item.id));
      this.notice.set(`Removed the override for ${describeKey(item.key)[1]}.`);
      await this.load();
    } catch (err) {
      this.loadError.set(apiErrorMessage(err));
    }
  }
}
