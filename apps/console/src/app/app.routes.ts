import type { Routes } from '@angular/router';
import { loggedIn } from './auth/logged-in.guard';

export const routes: Routes = [
  { path: 'login', loadComponent: () => import('./auth/login.component').then((m) => m.LoginComponent) },
  { path: '', canActivate: [loggedIn], loadComponent: () => import('./dashboard/dashboard.component').then((m) => m.DashboardComponent) },
  { path: '**', redirectTo: '' },
];
