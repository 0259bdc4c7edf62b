import { HttpClient, HttpContext, HttpContextToken } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import type { LoginRequest, Me } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';

export const AUTH_URLS = {
  login: '/api/v1/auth/login',
  me: '/api/v1/auth/me',
  logout: '/api/v1/auth/logout',
} as const;

/**
 * Marks a request whose 401 is an answer, not an expired session: the login attempt and the
 * start-up probe. The session interceptor leaves those alone.
 */
export const EXPECTS_UNAUTHORIZED = new HttpContextToken<boolean>(() => false);
const expectsUnauthorized = (): HttpContext => new HttpContext().set(EXPECTS_UNAUTHORIZED, true);

/** Why the last session ended, for the login page to say so. */
export type SessionEnd = 'logged-out' | 'expired';

/**
 * Who is logged in. The session itself is an HttpOnly cookie the browser holds; this keeps
 * the user, role and CSRF token the server returned with it.
 */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly http = inject(HttpClient);
  private readonly me = signal<Me | null>(null);
  private readonly ended = signal<SessionEnd | null>(null);

  readonly user = this.me.asReadonly();
  readonly loggedIn = computed(() => this.me() !== null);
  readonly endReason = this.ended.asReadonly();
  /** Admins and operators change things; auditors see the same screens read-only. */
  readonly canWrite = computed(() => {
    const role = this.me()?.role;
    return role === 'admin' || role === 'operator';
  });
  /** Users, roles and API tokens are for admins only. */
  readonly isAdmin = computed(() => this.me()?.role === 'admin');

  csrfToken(): string | undefined {
    return this.me()?.csrfToken;
  }

  /** At start-up: is the session cookie still good? Never rejects; any failure means "not logged in". */
  async restore(): Promise<void> {
    try {
      this.me.set(await firstValueFrom(this.http.get<Me>(AUTH_URLS.me, { context: expectsUnauthorized() })));
    } catch {
      this.me.set(null);
    }
  }

  /** Rejects with the HttpErrorResponse on a refused login (401, 429, …) so the form can say why. */
  async login(credentials: LoginRequest): Promise<Me> {
    const me = await firstValueFrom(
      this.http.post<Me>(AUTH_URLS.login, credentials, { context: expectsUnauthorized() }),
    );
    this.me.set(me);
    this.ended.set(null);
    return me;
  }

  /** Ends the session on the server; forgets it here even when the server could not be told. */
  async logout(): Promise<void> {
    try {
      await firstValueFrom(this.http.post<void>(AUTH_URLS.logout, null));
    } finally {
      this.end('logged-out');
    }
  }

  /** The server no longer knows the session (a 401 from the API). */
  expire(): void {
    this.end('expired');
  }

  private end(reason: SessionEnd): void {
    this.me.set(null);
    this.ended.set(reason);
  }
}
