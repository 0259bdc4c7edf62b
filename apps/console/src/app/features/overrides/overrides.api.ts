import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { CreateOverrideRequest, OverrideView, PageOf } from '@ksn/contracts';
import { map, type Observable } from 'rxjs';
import { itemsOf } from '../../shared/list';

export const OVERRIDES_URL = '/api/v1/overrides';

@Injectable({ providedIn: 'root' })
export class OverridesApi {
  private readonly http = inject(HttpClient);

  list(): Observable<OverrideView[]> {
    return this.http.get<OverrideView[] | PageOf<OverrideView>>(OVERRIDES_URL).pipe(map(itemsOf));
  }

  create(body: CreateOverrideRequest): Observable<OverrideView> {
    return this.http.post<OverrideView>(OVERRIDES_URL, body);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${OVERRIDES_URL}/${encodeURIComponent(id)}`);
  }
}
