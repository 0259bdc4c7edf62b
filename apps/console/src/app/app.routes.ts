import type { Routes } from '@angular/router';
import { redirectIfLoggedIn, requireAdmin, requireSession } from './core/auth/auth.guards';

/** Every page is lazy; a feature brings its own routes file (see features/dashboard/dashboard.routes.ts). */
export const routes: Routes = [
  {
    path: 'login',
    title: 'Log in · KSN Security Center',
    canActivate: [redirectIfLoggedIn],
    loadComponent: () => import('./features/login/login.page').then((m) => m.LoginPage),
  },
  {
    path: '',
    canActivate: [requireSession],
    canActivateChild: [requireSession],
    loadComponent: () => import('./shell/shell.component').then((m) => m.ShellComponent),
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
      {
        path: 'dashboard',
        loadChildren: () => import('./features/dashboard/dashboard.routes').then((m) => m.DASHBOARD_ROUTES),
      },
      {
        path: 'groups',
        loadChildren: () => import('./features/groups/groups.routes').then((m) => m.GROUPS_ROUTES),
      },
      {
        path: 'policies',
        loadChildren: () => import('./features/policies/policies.routes').then((m) => m.POLICIES_ROUTES),
      },
      {
        path: 'overrides',
        loadChildren: () => import('./features/overrides/overrides.routes').then((m) => m.OVERRIDES_ROUTES),
      },
      {
        path: 'reputation',
        loadChildren: () =>
          import('./features/reputation/reputation.routes').then((m) => m.REPUTATION_ROUTES),
      },
      {
        path: 'proxies',
        loadChildren: () => import('./features/proxies/proxies.routes').then((m) => m.PROXIES_ROUTES),
      },
      {
        path: 'unknown',
        loadChildren: () => import('./features/unknown/unknown.routes').then((m) => m.UNKNOWN_ROUTES),
      },
      {
        path: 'categories',
        loadChildren: () =>
          import('./features/categories/categories.routes').then((m) => m.CATEGORIES_ROUTES),
      },
      {
        path: 'users',
        canActivate: [requireAdmin],
        loadChildren: () => import('./features/users/users.routes').then((m) => m.USERS_ROUTES),
      },
      {
        path: 'audit',
        loadChildren: () => import('./features/audit/audit.routes').then((m) => m.AUDIT_ROUTES),
      },
    ],
  },
  { path: '**', redirectTo: '' },
];
