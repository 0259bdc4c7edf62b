import { HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { ActivatedRoute, Router } from '@angular/router';
import { SessionService } from './session.service';

@Component({
  selector: 'ksn-login',
  imports: [ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="login" [formGroup]="form" (ngSubmit)="submit()">
      <h1>Log in</h1>
      @if (expired) {
        <p role="status">Your session expired. Please log in again.</p>
      }
      <label for="username">User name</label>
      <input id="username" formControlName="username" autocomplete="username" required />
      @if (form.controls.username.touched && form.controls.username.invalid) {
        <span class="error">Enter your user name.</span>
      }
      <label for="password">Password</label>
      <input id="password" type="password" formControlName="password" autocomplete="current-password" required />
      @if (form.controls.password.touched && form.controls.password.invalid) {
        <span class="error">Enter your password.</span>
      }
      @if (error(); as message) {
        <p class="error" role="alert">{{ message }}</p>
      }
      <button type="submit" [disabled]="busy()">Log in</button>
    </form>
  `,
})
export class LoginComponent {
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);
  protected readonly expired = inject(ActivatedRoute).snapshot.queryParamMap.has('expired');
  protected readonly error = signal<string | undefined>(undefined);
  protected readonly busy = signal(false);
  protected readonly form = new FormGroup({
    username: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
    password: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
  });

  async submit(): Promise<void> {
    this.form.markAllAsTouched();
    if (this.form.invalid) return;
    this.busy.set(true);
    this.error.set(undefined);
    try {
      const { username, password } = this.form.getRawValue();
      await this.session.login(username, password);
      await this.router.navigate(['/']);
    } catch (e) {
      this.error.set(loginError(e));
    } finally {
      this.busy.set(false);
    }
  }
}

function loginError(e: unknown): string {
  if (e instanceof HttpErrorResponse) {
    if (e.status === 401) return 'Wrong user name or password.';
    const body = e.error as { message?: string } | null;
    if (body?.message) return body.message;
    if (e.status === 0) return 'Security Center is not reachable.';
  }
  return 'Login failed. Try again.';
}
