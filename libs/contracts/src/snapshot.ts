/** ksn-proxy ↔ security-center protocol (DESIGN.md "Proxy ↔ security-center"). */
import { Type, type Static } from '@sinclair/typebox';
import { Verdict } from './common';
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

/**
 * The largest value a 32-bit signed integer column holds (MySQL `INT`): heartbeat fields
 * stored in such columns are bounded by it, so a larger value is a 400 naming the field on
 * every engine rather than a database error. Fields stored as `bigint` are not bounded by it.
 */
const INT32_MAX = 2_147_483_647;
const Int32Count = () => Type.Integer({ minimum: 0, maximum: INT32_MAX });
/** A count stored as `bigint`: bounded where JSON numbers stay exact. */
const BigCount = (minimum = 0) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER });

/** Counters a proxy reports since its previous heartbeat. */
export const HeartbeatCounters = Type.Object(
  {
    lookups: Int32Count(),
    cacheHits: Int32Count(),
    upstreamRequests: Int32Count(),
    upstreamErrors: Int32Count(),
    staleAnswers: Int32Count(),
    /** Stored as bigint: a busy proxy saves more than 2 GiB a minute. */
    bytesSaved: BigCount(),
    telemetryForwarded: Int32Count(),
    telemetryBlocked: Int32Count(),
  },
  { additionalProperties: false },
);
export type HeartbeatCounters = Static<typeof HeartbeatCounters>;

/** The counter names, from the schema: the one list proxies, storage and charts share. */
export const COUNTER_NAMES = Object.keys(HeartbeatCounters.properties) as (keyof HeartbeatCounters)[];

export function zeroCounters(): HeartbeatCounters {
  return Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as HeartbeatCounters;
}

/**
 * Takes out of `live` what one heartbeat may carry, each counter up to its schema's maximum;
 * the rest stays in `live` for the next beat. A proxy that could not reach security-center
 * for a day may have counted past the bound, and a beat over it would be refused forever.
 */
export function takeCounters(live: HeartbeatCounters): HeartbeatCounters {
  const taken = zeroCounters();
  for (const name of COUNTER_NAMES) {
    const max = HeartbeatCounters.properties[name].maximum!;
    taken[name] = Math.min(live[name], max);
    live[name] -= taken[name];
  }
  return taken;
}

/** Adds `more` into `into`, counter by counter. */
export function addCounters(into: HeartbeatCounters, more: Readonly<HeartbeatCounters>): void {
  for (const name of COUNTER_NAMES) into[name] += more[name];
}

const ObjectKey = Type.String({ minLength: 1, maxLength: 2100 });
/** ISO 8601 instant as `Date.toISOString()` writes it. */
const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$',
  maxLength: 30,
});

/** An object answered `unknown` since the previous beat, with the devices that asked. */
export const HeartbeatUnknown = Type.Object(
  {
    key: ObjectKey,
    /** Device ids that asked (at most 100 per beat; security-center counts distinct ones). */
    deviceIds: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 }),
    firstSeen: Instant,
    lastSeen: Instant,
  },
  { additionalProperties: false },
);
export type HeartbeatUnknown = Static<typeof HeartbeatUnknown>;

/** How often an application-control rule decided a lookup since the previous beat. */
export const HeartbeatRuleHit = Type.Object(
  {
    groupId: Type.String({ minLength: 1, maxLength: 100 }),
    ruleId: Type.String({ minLength: 1, maxLength: 64 }),
    hits: BigCount(1),
  },
  { additionalProperties: false },
);
export type HeartbeatRuleHit = Static<typeof HeartbeatRuleHit>;

/** An upstream verdict change (from the change feed) for an object this proxy had cached. */
export const HeartbeatVerdictChange = Type.Object(
  { key: ObjectKey, from: Verdict, to: Verdict, at: Instant },
  { additionalProperties: false },
);
export type HeartbeatVerdictChange = Static<typeof HeartbeatVerdictChange>;

export const TRAFFIC_KINDS = ['lookup', 'telemetry', 'details', 'changes'] as const;
export const TrafficKind = Type.Union(TRAFFIC_KINDS.map((k) => Type.Literal(k)));
export type TrafficKind = Static<typeof TrafficKind>;

/** What left the network through this proxy, per minute and kind (the traffic log, summed). */
export const HeartbeatTraffic = Type.Object(
  {
    /** Start of the minute, ISO 8601. */
    minute: Instant,
    kind: TrafficKind,
    requests: BigCount(),
    items: BigCount(),
    bytesSent: BigCount(),
    bytesReceived: BigCount(),
  },
  { additionalProperties: false },
);
export type HeartbeatTraffic = Static<typeof HeartbeatTraffic>;

export const Heartbeat = Type.Object(
  {
    instanceId: Type.String({ minLength: 1, maxLength: 100 }),
    version: Type.String({ maxLength: 50 }),
    snapshotVersion: Int32Count(),
    cacheEntries: Int32Count(),
    counters: HeartbeatCounters,
    unknownObjects: Type.Optional(Type.Array(HeartbeatUnknown, { maxItems: 1000 })),
    ruleHits: Type.Optional(Type.Array(HeartbeatRuleHit, { maxItems: 10000 })),
    verdictChanges: Type.Optional(Type.Array(HeartbeatVerdictChange, { maxItems: 1000 })),
    traffic: Type.Optional(Type.Array(HeartbeatTraffic, { maxItems: 1000 })),
    /** Devices that made an authenticated request since the previous beat: their last-seen time. */
    activeDevices: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 10000 }),
    ),
  },
  { additionalProperties: false },
);
export type Heartbeat = Static<typeof Heartbeat>;
