import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router, RouterOutlet } from '@angular/router';
import { SessionService } from './auth/session.service';

@Component({
  selector: 'ksn-root',
  imports: [RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (session.me(); as me) {
      <header>
        <strong>KSN Security Center</strong>
        <span>{{ me.username }} ({{ me.role }}) <button type="button" (click)="logout()">Log out</button></span>
      </header>
    }
    <router-outlet />
  `,
})
export class AppComponent {
  protected readonly session = inject(SessionService);
  private readonly router = inject(Router);

  async logout(): Promise<void> {
    await this.session.logout();
    await this.router.navigate(['/login']);
  }
}
