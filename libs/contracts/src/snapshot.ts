/** ksn-proxy ↔ security-center protocol (DESIGN.md "Proxy ↔ security-center"). */
import { Type, type Static } from '@sinclair/typebox';
import { PolicySettings, SnapshotOverride } from './policy';

export const SnapshotKey = Type.Object({
  kid: Type.String(),
  /** Ed25519 public key, SPKI DER, base64. */
  publicKey: Type.String(),
});
export type SnapshotKey = Static<typeof SnapshotKey>;

export const SnapshotGroup = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parentId: Type.Union([Type.String(), Type.Null()]),
  policy: PolicySettings,
});
export type SnapshotGroup = Static<typeof SnapshotGroup>;

export const Snapshot = Type.Object({
  /** Monotonic version; the ETag is derived from it. */
  version: Type.Integer({ minimum: 1 }),
  generatedAt: Type.String(),
  keys: Type.Array(SnapshotKey),
  groups: Type.Array(SnapshotGroup),
  /** Devices revoked since the oldest token still valid was issued. */
  revoked: Type.Array(Type.Object({ deviceId: Type.String(), at: Type.String() })),
  /** Devices moved to another group since the oldest token still valid was issued. */
  moved: Type.Array(Type.Object({ deviceId: Type.String(), groupId: Type.String(), at: Type.String() })),
  overrides: Type.Array(SnapshotOverride),
});
export type Snapshot = Static<typeof Snapshot>;

/** Counters a proxy reports since its previous heartbeat. */
export const HeartbeatCounters = Type.Object(
  {
    lookups: Type.Integer({ minimum: 0 }),
    cacheHits: Type.Integer({ minimum: 0 }),
    upstreamRequests: Type.Integer({ minimum: 0 }),
    upstreamErrors: Type.Integer({ minimum: 0 }),
    staleAnswers: Type.Integer({ minimum: 0 }),
    bytesSaved: Type.Integer({ minimum: 0 }),
    telemetryForwarded: Type.Integer({ minimum: 0 }),
    telemetryBlocked: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HeartbeatCounters = Static<typeof HeartbeatCounters>;

/** The counter names, from the schema: the one list proxies, storage and charts share. */
export const COUNTER_NAMES = Object.keys(HeartbeatCounters.properties) as (keyof HeartbeatCounters)[];

export function zeroCounters(): HeartbeatCounters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as HeartbeatCounters;
}

/** Adds `more` into `into`, counter by counter. */
export function addCounters(into: HeartbeatCounters, more: Readonly<HeartbeatCounters>): void {
  for (const name of COUNTER_NAMES) into[name] += more[name];
}

export const Heartbeat = Type.Object(
  {
    instanceId: Type.String({ minLength: 1, maxLength: 100 }),
    version: Type.String({ maxLength: 50 }),
    snapshotVersion: Type.Integer({ minimum: 0 }),
    cacheEntries: Type.Integer({ minimum: 0 }),
    counters: HeartbeatCounters,
  },
  { additionalProperties: false },
);
export type Heartbeat = Static<typeof Heartbeat>;
