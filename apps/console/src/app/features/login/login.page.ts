import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { MatCard } from '@angular/material/card';
import { MatError, MatFormField, MatLabel } from '@angular/material/form-field';
import { MatInput } from '@angular/material/input';
import { Router } from '@angular/router';
import { apiErrorMessage } from '../../core/http/api-error';
import { safeReturnUrl } from '../../core/auth/return-url';
import { SessionService } from '../../core/auth/session.service';

/** Limits of the LoginRequest contract, checked here so the user hears it before the server does. */
export const USERNAME_MAX = 100;
export const PASSWORD_MAX = 1000;

/** What the form says when the server refuses a login. */
export function loginErrorMessage(err: unknown): string {
  if (err instanceof HttpErrorResponse && err.status === 401) return 'Wrong username or password.';
  return apiErrorMessage(err);
}

@Component({
  selector: 'ksn-login-page',
  imports: [ReactiveFormsModule, MatCard, MatFormField, MatLabel, MatError, MatInput, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './login.page.html',
  styleUrl: './login.page.scss',
})
export class LoginPage {
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);

  /** `?returnUrl=` (bound by the router): where the user was sent here from. */
  readonly returnUrl = input<string>();

  protected readonly usernameMax = USERNAME_MAX;
  protected readonly passwordMax = PASSWORD_MAX;
  protected readonly form = inject(NonNullableFormBuilder).group({
    username: ['', [Validators.required, Validators.maxLength(USERNAME_MAX)]],
    password: ['', [Validators.required, Validators.maxLength(PASSWORD_MAX)]],
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly expired = computed(() => this.session.endReason() === 'expired');

  protected async submit(): Promise<void> {
    if (this.busy()) return;
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.login(this.form.getRawValue());
    } catch (err) {
      this.error.set(loginErrorMessage(err));
      return;
    } finally {
      this.busy.set(false);
    }
    await this.router.navigateByUrl(safeReturnUrl(this.returnUrl()));
  }
}
