import type { Routes } from '@angular/router';
import { PoliciesPage } from './policies.page';

export const POLICIES_ROUTES: Routes = [
  { path: '', title: 'Policies · KSN Security Center', component: PoliciesPage },
  { path: ':groupId', title: 'Policy · KSN Security Center', component: PoliciesPage },
];
