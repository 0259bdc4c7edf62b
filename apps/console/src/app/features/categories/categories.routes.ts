import type { Routes } from '@angular/router';
import { CategoriesPage } from './categories.page';

export const CATEGORIES_ROUTES: Routes = [
  { path: '', title: 'Categories · KSN Security Center', component: CategoriesPage },
];
