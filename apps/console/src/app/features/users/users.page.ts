import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import type { ApiTokenView, CreatedApiToken, Role, UserView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { roleLabel } from '../../core/auth/roles';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, placeError } from '../../core/http/api-error';
import { formatInstant, localInputToIso } from '../../shared/list';
import { ROLE_OPTIONS, newUserErrors, type NewUser } from './user-form';

export const USERS_URL = '/api/v1/users';
export const API_TOKENS_URL = '/api/v1/api-tokens';

/** Users and roles, and API tokens for automation (admins only). */
@Component({
  selector: 'ksn-users-page',
  imports: [FormsModule, MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './users.page.html',
})
export class UsersPage {
  private readonly http = inject(HttpClient);
  protected readonly me = inject(SessionService).user;
  protected readonly roles = ROLE_OPTIONS;
  protected readonly roleLabel = roleLabel;
  protected readonly formatInstant = formatInstant;

  protected readonly users = signal<UserView[]>([]);
  protected readonly tokens = signal<ApiTokenView[]>([]);
  protected readonly error = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  protected user: NewUser = { username: '', password: '', role: 'operator' };
  protected readonly userErrors = signal<Partial<Record<'username' | 'password', string>>>({});
  protected token = { name: '', role: 'operator' as Role, expires: '' };
  protected readonly tokenError = signal<string | null>(null);
  protected readonly createdToken = signal<CreatedApiToken | null>(null);

  constructor() {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const [users, tokens] = await Promise.all([
        firstValueFrom(this.http.get<UserView[]>(USERS_URL)),
        firstValueFrom(this.http.get<ApiTokenView[]>(API_TOKENS_URL)),
      ]);
      this.users.set(users);
      this.tokens.set(tokens);
      this.error.set(null);
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async createUser(): Promise<void> {
    const errors = newUserErrors(this.user);
    this.userErrors.set(errors);
    if (Object.keys(errors).length) return;
    try {
      const created = await firstValueFrom(this.http.post<UserView>(USERS_URL, this.user));
      this.notice.set(`Created ${created.username} (${roleLabel(created.role)}).`);
      this.user = { username: '', password: '', role: 'operator' };
      await this.load();
    } catch (err) {
      const placed = placeError(err);
      if (placed.field === 'username' || placed.field === 'password')
        this.userErrors.set({ [placed.field]: placed.message });
      else this.userErrors.set({ username: placed.message });
    }
  }

  protected async setRole(u: UserView, role: string): Promise<void> {
    if (role !== 'admin' && role !== 'operator' && role !== 'auditor') return;
    try {
      await firstValueFrom(this.http.patch<UserView>(`${USERS_URL}/${encodeURIComponent(u.id)}`, { role }));
      this.notice.set(`${u.username} is now ${roleLabel(role)}; their sessions were ended.`);
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
      await this.load();
    }
  }

  protected async removeUser(u: UserView): Promise<void> {
    try {
      await firstValueFrom(this.http.delete(`${USERS_URL}/${encodeURIComponent(u.id)}`));
      this.notice.set(`Deleted ${u.username}.`);
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async createToken(): Promise<void> {
    const name = this.token.name.trim();
    const expiresAt = localInputToIso(this.token.expires);
    if (!name) return this.tokenError.set('Name the token after what uses it.');
    if (this.token.expires && (!expiresAt || Date.parse(expiresAt) <= Date.now()))
      return this.tokenError.set('The expiry must be in the future.');
    this.tokenError.set(null);
    try {
      this.createdToken.set(
        await firstValueFrom(
          this.http.post<CreatedApiToken>(API_TOKENS_URL, {
            name,
            role: this.token.role,
            ...(expiresAt ? { expiresAt } : {}),
          }),
        ),
      );
      this.token = { name: '', role: 'operator', expires: '' };
      await this.load();
    } catch (err) {
      this.tokenError.set(placeError(err).message);
    }
  }

  protected async removeToken(t: ApiTokenView): Promise<void> {
    try {
      await firstValueFrom(this.http.delete(`${API_TOKENS_URL}/${encodeURIComponent(t.id)}`));
      await this.load();
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }
}
