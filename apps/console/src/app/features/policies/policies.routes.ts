import type { CanDeactivateFn, Routes } from '@angular/router';
import { PoliciesPage } from './policies.page';

/** Leaving the editor with unsaved changes asks first. */
export const leavePolicy: CanDeactivateFn<PoliciesPage> = (page) => page.canLeave();

export const POLICIES_ROUTES: Routes = [
  {
    path: '',
    title: 'Policies · KSN Security Center',
    component: PoliciesPage,
    canDeactivate: [leavePolicy],
  },
  {
    path: ':groupId',
    title: 'Policy · KSN Security Center',
    component: PoliciesPage,
    canDeactivate: [leavePolicy],
  },
];
