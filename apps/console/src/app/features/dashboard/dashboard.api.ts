import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { DashboardResponse } from '@ksn/contracts';
import type { Observable } from 'rxjs';

@Injectable({ providedIn: 'root' })
export class DashboardApi {
  private readonly http = inject(HttpClient);

  /** Proxies, totals and per-minute traffic over the last `minutes` minutes. */
  get(minutes: number): Observable<DashboardResponse> {
    return this.http.get<DashboardResponse>('/api/v1/dashboard', { params: { minutes } });
  }
}
