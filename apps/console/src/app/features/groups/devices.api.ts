import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type {
  CreateEnrolmentTokenRequest,
  CreatedEnrolmentToken,
  DevicePage,
  DeviceView,
  EnrolmentTokenView,
  MoveDevicesResponse,
  PageOf,
} from '@ksn/contracts';
import { map, type Observable } from 'rxjs';
import { itemsOf } from '../../shared/list';

export const DEVICES_URL = '/api/v1/devices';
export const TOKENS_URL = '/api/v1/enrolment-tokens';

@Injectable({ providedIn: 'root' })
export class DevicesApi {
  private readonly http = inject(HttpClient);

  devices(groupId: string, limit = 200, offset = 0): Observable<DevicePage> {
    return this.http.get<DevicePage>(DEVICES_URL, { params: { groupId, limit, offset } });
  }

  revoke(id: string): Observable<DeviceView> {
    return this.http.post<DeviceView>(`${DEVICES_URL}/${encodeURIComponent(id)}/revoke`, {});
  }

  move(deviceIds: string[], groupId: string): Observable<MoveDevicesResponse> {
    return this.http.post<MoveDevicesResponse>(`${DEVICES_URL}/move`, { deviceIds, groupId });
  }

  tokens(): Observable<EnrolmentTokenView[]> {
    return this.http.get<EnrolmentTokenView[] | PageOf<EnrolmentTokenView>>(TOKENS_URL).pipe(map(itemsOf));
  }

  createToken(body: CreateEnrolmentTokenRequest): Observable<CreatedEnrolmentToken> {
    return this.http.post<CreatedEnrolmentToken>(TOKENS_URL, body);
  }

  expireToken(id: string): Observable<void> {
    return this.http.delete<void>(`${TOKENS_URL}/${encodeURIComponent(id)}`);
  }
}
