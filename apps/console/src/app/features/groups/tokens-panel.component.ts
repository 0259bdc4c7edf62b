import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { CreatedEnrolmentToken, EnrolmentTokenView, GroupView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, placeError } from '../../core/http/api-error';
import { formatInstant, localInputToIso } from '../../shared/list';
import { DevicesApi } from './devices.api';

export interface TokenForm {
  label: string;
  expires: string;
  maxUses: string;
}

export function tokenFormErrors(f: TokenForm, now: number): Partial<Record<keyof TokenForm, string>> {
  const errors: Partial<Record<keyof TokenForm, string>> = {};
  if (!f.label.trim()) errors.label = 'Give the token a label (who or what it is for).';
  else if (f.label.trim().length > 200) errors.label = 'At most 200 characters.';
  if (f.expires) {
    const iso = localInputToIso(f.expires);
    if (!iso || Date.parse(iso) <= now) errors.expires = 'The expiry must be a date in the future.';
  }
  if (f.maxUses.trim()) {
    const n = Number(f.maxUses);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
      errors.maxUses = 'A whole number from 1 to 1,000,000.';
  }
  return errors;
}

/** Enrolment tokens of one group: create (the secret is shown once, with Copy), list, expire. */
@Component({
  selector: 'ksn-tokens-panel',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section class="ksn-panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Enrolment tokens</h2>
      <p class="ksn-sub">A device enrols into this group with one of these (POST /api/v1/enrol).</p>
      @if (created(); as t) {
        <div class="ksn-banner secret" role="status" data-testid="token-created">
          <p>
            Token <strong>{{ t.label }}</strong> — copy it now, it is not shown again:
          </p>
          <p>
            <code data-testid="token-secret">{{ t.token }}</code>
          </p>
          <button matButton="outlined" type="button" (click)="copy(t.token)">
            {{ copied() ? 'Copied' : 'Copy' }}
          </button>
        </div>
      }
      @if (error(); as m) {
        <p class="ksn-banner error" role="alert">{{ m }}</p>
      }
      @if (canWrite()) {
        <form class="ksn-form" novalidate (ngSubmit)="create()" aria-label="New enrolment token">
          <label class="ksn-field wide">
            <span>Label</span>
            <input
              name="label"
              [(ngModel)]="form.label"
              [attr.aria-invalid]="!!errors().label"
              aria-describedby="tok-label-error"
              data-testid="token-label"
            />
            <p id="tok-label-error" class="ksn-error-text" role="alert">{{ errors().label ?? '' }}</p>
          </label>
          <label class="ksn-field">
            <span>Expires (optional)</span>
            <input
              type="datetime-local"
              name="expires"
              [(ngModel)]="form.expires"
              [attr.aria-invalid]="!!errors().expires"
              aria-describedby="tok-exp-error"
            />
            <p id="tok-exp-error" class="ksn-error-text" role="alert">{{ errors().expires ?? '' }}</p>
          </label>
          <label class="ksn-field">
            <span>Max uses (optional)</span>
            <input
              name="maxUses"
              inputmode="numeric"
              [(ngModel)]="form.maxUses"
              [attr.aria-invalid]="!!errors().maxUses"
              aria-describedby="tok-max-error"
            />
            <p id="tok-max-error" class="ksn-error-text" role="alert">{{ errors().maxUses ?? '' }}</p>
          </label>
          <div class="ksn-actions"><button matButton="filled" type="submit">Create token</button></div>
        </form>
      }
      @if (tokens().length) {
        <div class="ksn-table-wrap">
          <table class="ksn-table" data-testid="token-table">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Expires (UTC)</th>
                <th scope="col" class="num">Uses</th>
                <th scope="col">Created</th>
                @if (canWrite()) {
                  <th scope="col"><span class="ksn-muted">Expire</span></th>
                }
              </tr>
            </thead>
            <tbody>
              @for (t of tokens(); track t.id) {
                <tr>
                  <td>{{ t.label }}</td>
                  <td>{{ t.expiresAt ? formatInstant(t.expiresAt) : 'never' }}</td>
                  <td class="num">{{ t.uses }}{{ t.maxUses !== null ? ' / ' + t.maxUses : '' }}</td>
                  <td>{{ formatInstant(t.createdAt) }}</td>
                  @if (canWrite()) {
                    <td>
                      <button
                        matButton
                        type="button"
                        (click)="expire(t)"
                        [attr.aria-label]="'Expire token ' + t.label"
                      >
                        Expire now
                      </button>
                    </td>
                  }
                </tr>
              }
            </tbody>
          </table>
        </div>
      } @else {
        <p class="ksn-muted">No token for this group.</p>
      }
    </section>
  `,
})
export class TokensPanelComponent {
  private readonly api = inject(DevicesApi);
  protected readonly canWrite = inject(SessionService).canWrite;
  protected readonly formatInstant = formatInstant;
  readonly group = input.required<GroupView>();

  private readonly all = signal<EnrolmentTokenView[]>([]);
  protected readonly tokens = computed(() => this.all().filter((t) => t.groupId === this.group().id));
  protected readonly created = signal<CreatedEnrolmentToken | null>(null);
  protected readonly copied = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly errors = signal<Partial<Record<keyof TokenForm, string>>>({});
  protected form: TokenForm = { label: '', expires: '', maxUses: '' };

  constructor() {
    effect(() => {
      this.group();
      untracked(() => {
        this.created.set(null);
        this.errors.set({});
        void this.load();
      });
    });
  }

  private async load(): Promise<void> {
    try {
      this.all.set(await firstValueFrom(this.api.tokens()));
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async create(): Promise<void> {
    const errors = tokenFormErrors(this.form, Date.now());
    this.errors.set(errors);
    if (Object.keys(errors).length) return;
    this.error.set(null);
    const expiresAt = localInputToIso(this.form.expires);
    try {
      const created = await firstValueFrom(
        this.api.createToken({
          label: this.form.label.trim(),
          groupId: this.group().id,
          ...(expiresAt ? { expiresAt } : {}),
          ...(this.form.maxUses.trim() ? { maxUses: Number(this.form.maxUses) } : {}),
        }),
      );
      this.created.set(created);
      this.copied.set(false);
      this.form = { label: '', expires: '', maxUses: '' };
      await this.load();
    } catch (err) {
      const placed = placeError(err);
      if (placed.field === 'label' || placed.field === 'expiresAt' || placed.field === 'maxUses')
        this.errors.set({ [placed.field === 'expiresAt' ? 'expires' : placed.field]: placed.message });
      else this.error.set(placed.message);
    }
  }

  protected async copy(token: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(token);
      this.copied.set(true);
    } catch {
      this.error.set('The browser did not allow copying; select the token and copy it by hand.');
    }
  }

  protected async expire(t: EnrolmentTokenView): Promise<void> {
    try {
      await firstValueFrom(this.api.expireToken(t.id));
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }
}
