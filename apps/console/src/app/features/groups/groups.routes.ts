import type { Routes } from '@angular/router';
import { GroupsPage } from './groups.page';

export const GROUPS_ROUTES: Routes = [
  { path: '', title: 'Groups and devices · KSN Security Center', component: GroupsPage },
];
