import type { Routes } from '@angular/router';
import { ProxiesPage } from './proxies.page';

export const PROXIES_ROUTES: Routes = [
  { path: '', title: 'Proxies · KSN Security Center', component: ProxiesPage },
];
