/** Console ↔ security-center API (the parts the console uses). */
import { Type, type Static } from '@sinclair/typebox';
import { HeartbeatCounters } from './snapshot';

export const ROLES = ['admin', 'operator', 'auditor'] as const;
export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)));
export type Role = Static<typeof Role>;

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100 }),
    password: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const Me = Type.Object({
  username: Type.String(),
  role: Role,
  /** Send back in the X-CSRF-Token header on every state-changing request. */
  csrfToken: Type.String(),
});
export type Me = Static<typeof Me>;

export const EnrolRequest = Type.Object(
  {
    enrolmentToken: Type.String({ minLength: 10, maxLength: 200 }),
    deviceName: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type EnrolRequest = Static<typeof EnrolRequest>;

export const ProxyStatus = Type.Object({
  id: Type.String(),
  name: Type.String(),
  instanceId: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
  lastHeartbeatAt: Type.Union([Type.String(), Type.Null()]),
  snapshotVersion: Type.Union([Type.Integer(), Type.Null()]),
  cacheEntries: Type.Union([Type.Integer(), Type.Null()]),
  /** A heartbeat arrived within the last 3 heartbeat intervals. */
  connected: Type.Boolean(),
});
export type ProxyStatus = Static<typeof ProxyStatus>;

export const TrafficPoint = Type.Composite([
  /** Start of the minute, ISO 8601. */
  Type.Object({ minute: Type.String() }),
  HeartbeatCounters,
]);
export type TrafficPoint = Static<typeof TrafficPoint>;

/** Rates derived from counters over a window. */
export const DashboardRates = Type.Object({
  lookupsPerSecond: Type.Number(),
  /** cacheHits / lookups, 0..1 (0 when there were no lookups). */
  hitRatio: Type.Number(),
});
export type DashboardRates = Static<typeof DashboardRates>;

export const ProxyTotals = Type.Object({
  proxyId: Type.String(),
  name: Type.String(),
  totals: HeartbeatCounters,
  rates: DashboardRates,
});
export type ProxyTotals = Static<typeof ProxyTotals>;

/**
 * `GET /api/v1/dashboard?minutes=1..43200` or `?range=hour|day|month` (60, 1440, 43200 minutes).
 * Series buckets: 1 minute up to 2 hours, 15 minutes up to 2 days, 1 hour beyond.
 */
export const DashboardResponse = Type.Object({
  proxies: Type.Array(ProxyStatus),
  /** Sums over the window. */
  totals: HeartbeatCounters,
  /** Aggregates per bucket over the window, oldest first (`minute` is the bucket start). */
  series: Type.Array(TrafficPoint),
  windowMinutes: Type.Integer(),
  devices: Type.Integer(),
  groups: Type.Integer(),
  snapshotVersion: Type.Integer(),
  // Added in issue 3 (optional only so that older fixtures still type-check; the server always sends them).
  /** Width of one series point in minutes. */
  bucketMinutes: Type.Optional(Type.Integer()),
  rates: Type.Optional(DashboardRates),
  /** Totals per proxy over the window. */
  perProxy: Type.Optional(Type.Array(ProxyTotals)),
  /** Unacknowledged verdict-change alerts. */
  openAlerts: Type.Optional(Type.Integer()),
});
export type DashboardResponse = Static<typeof DashboardResponse>;
