import type { Routes } from '@angular/router';
import { OverridesPage } from './overrides.page';

export const OVERRIDES_ROUTES: Routes = [
  { path: '', title: 'Overrides · KSN Security Center', component: OverridesPage },
];
