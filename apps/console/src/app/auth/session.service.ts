import { HttpClient } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type { Me } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';

/** Who is logged in (from the server's session cookie) and the CSRF token to send with writes. */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly http = inject(HttpClient);
  readonly me = signal<Me | undefined>(undefined);
  private checked = false;

  /** Asks the server once whether the session cookie is still good. */
  async restore(): Promise<boolean> {
    if (!this.checked) {
      this.checked = true;
      try {
        this.me.set(await firstValueFrom(this.http.get<Me>('/api/v1/auth/me')));
      } catch {
        this.me.set(undefined);
      }
    }
    return this.me() !== undefined;
  }

  async login(username: string, password: string): Promise<void> {
    this.me.set(await firstValueFrom(this.http.post<Me>('/api/v1/auth/login', { username, password })));
    this.checked = true;
  }

  async logout(): Promise<void> {
    try {
      await firstValueFrom(this.http.post('/api/v1/auth/logout', {}));
    } finally {
      this.expire();
    }
  }

  expire(): void {
    this.me.set(undefined);
  }
}
