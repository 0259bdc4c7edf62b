import type { Routes } from '@angular/router';
import { redirectIfLoggedIn, requireSession } from './core/auth/auth.guards';

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
    ],
  },
  { path: '**', redirectTo: '' },
];
