import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  signal,
  viewChild,
  type ElementRef,
} from '@angular/core';
import { MatButton } from '@angular/material/button';
import { MatToolbar } from '@angular/material/toolbar';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { roleLabel } from '../core/auth/roles';
import { SessionService } from '../core/auth/session.service';

/** A feature page reachable from the toolbar. Add an entry here when a feature gets a route. */
interface NavItem {
  readonly path: string;
  readonly label: string;
  /** Shown to admins only (the API refuses the others anyway). */
  readonly adminOnly?: boolean;
}

export const NAV: readonly NavItem[] = [
  { path: '/dashboard', label: 'Dashboard' },
  { path: '/groups', label: 'Groups' },
  { path: '/policies', label: 'Policies' },
  { path: '/overrides', label: 'Overrides' },
  { path: '/categories', label: 'Categories' },
  { path: '/unknown', label: 'Unknown objects' },
  { path: '/reputation', label: 'Reputation' },
  { path: '/proxies', label: 'Proxies' },
  { path: '/audit', label: 'Audit log' },
  { path: '/users', label: 'Users', adminOnly: true },
];

/** The frame around every page behind login: toolbar with navigation, the user and logout. */
@Component({
  selector: 'ksn-shell',
  imports: [MatToolbar, MatButton, RouterLink, RouterLinkActive, RouterOutlet],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './shell.component.html',
  styleUrl: './shell.component.scss',
})
export class ShellComponent {
  private readonly session = inject(SessionService);
  private readonly router = inject(Router);

  protected readonly nav = computed(() => NAV.filter((item) => !item.adminOnly || this.session.isAdmin()));
  protected readonly user = this.session.user;
  protected readonly role = computed(() => {
    const user = this.user();
    return user ? roleLabel(user.role) : '';
  });
  protected readonly loggingOut = signal(false);
  private readonly main = viewChild.required<ElementRef<HTMLElement>>('main');

  /** In-page link without leaving the route (a bare #main would resolve against <base href>). */
  protected skipToContent(event: Event): void {
    event.preventDefault();
    this.main().nativeElement.focus();
  }

  protected async logout(): Promise<void> {
    this.loggingOut.set(true);
    try {
      await this.session.logout();
    } catch {
      // The session is forgotten here either way; the server's expires on its own.
    } finally {
      this.loggingOut.set(false);
      await this.router.navigateByUrl('/login');
    }
  }
}
