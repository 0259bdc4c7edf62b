import type { Routes } from '@angular/router';
import { UnknownPage } from './unknown.page';

export const UNKNOWN_ROUTES: Routes = [
  { path: '', title: 'Unknown objects · KSN Security Center', component: UnknownPage },
];
