import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { AuditPage } from '@ksn/contracts';
import type { Observable } from 'rxjs';

export const AUDIT_URL = '/api/v1/audit';

export interface AuditFilter {
  actor?: string;
  objectType?: string;
  objectId?: string;
  /** ISO instants. */
  from?: string;
  to?: string;
}

@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly http = inject(HttpClient);

  list(filter: AuditFilter, limit: number, offset: number): Observable<AuditPage> {
    const params: Record<string, string | number> = { limit, offset };
    for (const [k, v] of Object.entries(filter)) if (typeof v === 'string' && v.trim()) params[k] = v.trim();
    return this.http.get<AuditPage>(AUDIT_URL, { params });
  }
}
