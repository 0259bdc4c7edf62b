import type { Routes } from '@angular/router';
import { ReputationPage } from './reputation.page';

export const REPUTATION_ROUTES: Routes = [
  { path: '', title: 'Reputation lookup · KSN Security Center', component: ReputationPage },
];
