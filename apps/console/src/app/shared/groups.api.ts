import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type {
  CategoriesView,
  CreateGroupRequest,
  GroupPolicyView,
  GroupView,
  PageOf,
  UpdateGroupRequest,
  UpdatePolicyRequest,
} from '@ksn/contracts';
import { map, type Observable } from 'rxjs';
import { itemsOf } from './list';

export const GROUPS_URL = '/api/v1/groups';
export const CATEGORIES_URL = '/api/v1/categories';

/** Groups, their policies and the category tree (the policy editor's rule picker uses it). */
@Injectable({ providedIn: 'root' })
export class GroupsApi {
  private readonly http = inject(HttpClient);

  list(): Observable<GroupView[]> {
    return this.http.get<GroupView[] | PageOf<GroupView>>(GROUPS_URL).pipe(map(itemsOf));
  }

  create(body: CreateGroupRequest): Observable<GroupView> {
    return this.http.post<GroupView>(GROUPS_URL, body);
  }

  update(id: string, body: UpdateGroupRequest): Observable<GroupView> {
    return this.http.patch<GroupView>(`${GROUPS_URL}/${encodeURIComponent(id)}`, body);
  }

  remove(id: string, cascade: boolean): Observable<void> {
    return this.http.delete<void>(
      `${GROUPS_URL}/${encodeURIComponent(id)}`,
      cascade ? { params: { cascade: 'true' } } : {},
    );
  }

  policy(id: string): Observable<GroupPolicyView> {
    return this.http.get<GroupPolicyView>(`${GROUPS_URL}/${encodeURIComponent(id)}/policy`);
  }

  savePolicy(id: string, body: UpdatePolicyRequest): Observable<GroupPolicyView> {
    return this.http.put<GroupPolicyView>(`${GROUPS_URL}/${encodeURIComponent(id)}/policy`, body);
  }

  categories(): Observable<CategoriesView> {
    return this.http.get<CategoriesView>(CATEGORIES_URL);
  }
}
