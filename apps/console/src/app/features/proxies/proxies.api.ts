import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { CreatedProxy, ProxyDetail, ProxyStatus, TrafficLogEntry } from '@ksn/contracts';
import type { Observable } from 'rxjs';

export const PROXIES_URL = '/api/v1/proxies';

@Injectable({ providedIn: 'root' })
export class ProxiesApi {
  private readonly http = inject(HttpClient);

  list(): Observable<ProxyStatus[]> {
    return this.http.get<ProxyStatus[]>(PROXIES_URL);
  }

  create(name: string): Observable<CreatedProxy> {
    return this.http.post<CreatedProxy>(PROXIES_URL, { name });
  }

  /** Connectivity self-test: the proxy's health as Security Center sees it now. */
  detail(id: string): Observable<ProxyDetail> {
    return this.http.get<ProxyDetail>(`${PROXIES_URL}/${encodeURIComponent(id)}`);
  }

  remove(id: string): Observable<void> {
    return this.http.delete<void>(`${PROXIES_URL}/${encodeURIComponent(id)}`);
  }

  traffic(id: string, minutes: number): Observable<TrafficLogEntry[]> {
    return this.http.get<TrafficLogEntry[]>(`${PROXIES_URL}/${encodeURIComponent(id)}/traffic`, {
      params: { minutes },
    });
  }
}
