import type { Routes } from '@angular/router';
import { UsersPage } from './users.page';

export const USERS_ROUTES: Routes = [
  { path: '', title: 'Users · KSN Security Center', component: UsersPage },
];
