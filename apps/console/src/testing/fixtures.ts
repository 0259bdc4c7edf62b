import type { DashboardResponse, Me, ProxyStatus } from '@ksn/contracts';

/** Test data shaped by the contracts (type-only import: nothing of TypeBox is loaded). */
export const ADMIN: Me = { username: 'alice', role: 'admin', csrfToken: 'csrf-token-123' };

export function proxyStatus(overrides: Partial<ProxyStatus> = {}): ProxyStatus {
  return {
    id: 'p1',
    name: 'branch-office-1',
    instanceId: 'i-1',
    version: '0.1.0',
    lastHeartbeatAt: null,
    snapshotVersion: null,
    cacheEntries: null,
    connected: false,
    ...overrides,
  };
}

export function dashboardResponse(overrides: Partial<DashboardResponse> = {}): DashboardResponse {
  return {
    proxies: [],
    totals: {
      lookups: 0,
      cacheHits: 0,
      upstreamRequests: 0,
      upstreamErrors: 0,
      staleAnswers: 0,
      bytesSaved: 0,
      telemetryForwarded: 0,
      telemetryBlocked: 0,
    },
    series: [],
    windowMinutes: 60,
    devices: 0,
    groups: 1,
    snapshotVersion: 1,
    ...overrides,
  };
}
