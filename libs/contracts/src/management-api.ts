/**
 * Console ↔ security-center management API (issue 3): groups, policies, devices,
 * enrolment, keys, categories, overrides, unknown objects, alerts, proxies, users,
 * API tokens, audit log. Every request body is strict (unknown properties are a 400).
 * Routes are listed beside each schema; all are under `/api/v1`.
 *
 * Errors: `{error, message, field?}` — 400 `invalid_request` names the field,
 * 404 `not_found` for unknown ids, 409 `conflict` for a stale `version`
 * (optimistic concurrency) or a name/key already taken.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Verdict } from './common';
import {
  AppControlSection,
  CloudSection,
  KsnSection,
  OverrideAction,
  PolicySettings,
  RuleMatch,
  SectionName,
  SectionSource,
} from './policy';
import { TrafficKind } from './snapshot';
import { CategoryNode } from './upstream';
import { Role } from './management';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const strict = { additionalProperties: false } as const;
const UuidLike = Type.String({ minLength: 1, maxLength: 64 });
/** ISO 8601 instant, e.g. `2026-11-27T10:00:00.000Z`. */
/** An ISO-8601 UTC instant that exists on the calendar (validate.ts `isInstant`). */
const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?Z$',
  format: 'instant',
  maxLength: 30,
});
const Name = Type.String({ minLength: 1, maxLength: 200 });
/** Optimistic-concurrency version: send back the one you read; a stale one gets 409. */
const Version = Type.Integer({ minimum: 1 });

/** A page of results: `?limit=` (1–1000, default 100) and `?offset=`. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer({ minimum: 0 }),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

// ─── Groups: GET/POST /groups, GET/PATCH/DELETE /groups/{id}[?cascade=true] ───

export const GroupView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  parentId: Nullable(Type.String()),
  /** Incremented on every change to the group or its policy. */
  version: Type.Integer(),
  /** Devices directly in this group. */
  deviceCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type GroupView = Static<typeof GroupView>;

export const CreateGroupRequest = Type.Object({ name: Name, parentId: UuidLike }, strict);
export type CreateGroupRequest = Static<typeof CreateGroupRequest>;

/** Rename and/or move (parentId) a group. Moving under its own subtree is a 400. */
export const UpdateGroupRequest = Type.Object(
  { version: Version, name: Type.Optional(Name), parentId: Type.Optional(UuidLike) },
  strict,
);
export type UpdateGroupRequest = Static<typeof UpdateGroupRequest>;

// ─── Policies: GET/PUT /groups/{id}/policy, GET /groups/{id}/effective-policy,
//     POST /groups/{id}/rules, PATCH/DELETE /groups/{id}/rules/{ruleId}?version= ───

/** A rule as sent by the console: `id` may be omitted (the server assigns a UUID; ids are unique across groups). */
export const AppControlRuleInput = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
    action: Type.Union([Type.Literal('allow'), Type.Literal('block')]),
    status: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('test')]),
    match: RuleMatch,
    comment: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  strict,
);
export type AppControlRuleInput = Static<typeof AppControlRuleInput>;

export const AppControlSectionInput = Type.Object(
  {
    mode: Type.Union([Type.Literal('default-allow'), Type.Literal('default-deny')]),
    testMode: Type.Boolean(),
    rules: Type.Array(AppControlRuleInput, { maxItems: 10000 }),
  },
  strict,
);
export type AppControlSectionInput = Static<typeof AppControlSectionInput>;

/** What a group sets (absent section = inherit) and locks. */
export const GroupPolicyInput = Type.Object(
  {
    cloud: Type.Optional(CloudSection),
    ksn: Type.Optional(KsnSection),
    appControl: Type.Optional(AppControlSectionInput),
    locked: Type.Array(SectionName, { uniqueItems: true, maxItems: 3 }),
  },
  strict,
);
export type GroupPolicyInput = Static<typeof GroupPolicyInput>;

export const UpdatePolicyRequest = Type.Object({ version: Version, policy: GroupPolicyInput }, strict);
export type UpdatePolicyRequest = Static<typeof UpdatePolicyRequest>;

/**
 * One rule at a time (`POST /groups/{id}/rules`, `PATCH|DELETE /groups/{id}/rules/{ruleId}`):
 * `version` is the group's policy version (rules live in the policy), so a stale edit is a 409.
 * A group without its own application-control section gets one, starting from the effective one.
 */
export const CreateRuleRequest = Type.Object(
  {
    version: Version,
    rule: AppControlRuleInput,
    /** Position in the list (default: last). */ index: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);
export type CreateRuleRequest = Static<typeof CreateRuleRequest>;

export const UpdateRuleRequest = Type.Object(
  {
    version: Version,
    action: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('block')])),
    status: Type.Optional(Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('test')])),
    match: Type.Optional(RuleMatch),
    comment: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Move the rule to this position. */
    index: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);
export type UpdateRuleRequest = Static<typeof UpdateRuleRequest>;

/** Where one setting's value comes from. */
export const SettingSource = Type.Object({
  /** Dotted path, e.g. `cloud.modules.anti-spam`, `ksn.participation`, `appControl.rules`. */
  path: Type.String(),
  value: Type.Unknown(),
  from: Type.Union([Type.Literal('own'), Type.Literal('inherited'), Type.Literal('default')]),
  /** The group whose value applies (absent for the built-in default). */
  groupId: Type.Optional(Type.String()),
  groupName: Type.Optional(Type.String()),
  /** The ancestor that locks it, when one does: this group cannot change it. */
  lockedBy: Type.Optional(Type.String()),
  lockedByName: Type.Optional(Type.String()),
});
export type SettingSource = Static<typeof SettingSource>;

export const EffectivePolicyView = Type.Object({
  groupId: Type.String(),
  settings: PolicySettings,
  /** Per section (policies are inherited and locked by section). */
  sources: Type.Object({ cloud: SectionSource, ksn: SectionSource, appControl: SectionSource }),
  /** Per setting, in a stable order: the provenance the console shows beside each field. */
  settingSources: Type.Array(SettingSource),
});
export type EffectivePolicyView = Static<typeof EffectivePolicyView>;

export const GroupPolicyView = Type.Object({
  groupId: Type.String(),
  version: Type.Integer(),
  /** What the group itself stores (rules carry their server-assigned ids). */
  policy: Type.Object({
    cloud: Type.Optional(CloudSection),
    ksn: Type.Optional(KsnSection),
    appControl: Type.Optional(AppControlSection),
    locked: Type.Array(SectionName),
  }),
  effective: EffectivePolicyView,
});
export type GroupPolicyView = Static<typeof GroupPolicyView>;

/** GET /rules/hits: how often each rule decided a lookup (the console flags unused rules). */
export const RuleHitView = Type.Object({
  ruleId: Type.String(),
  groupId: Type.String(),
  hits: Type.Integer(),
  lastHitAt: Nullable(Type.String()),
});
export type RuleHitView = Static<typeof RuleHitView>;

// ─── Devices: GET /devices?groupId=&limit=&offset=, GET /devices/{id}, POST /devices/move, POST /devices/{id}/revoke ───

export const DeviceView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  groupId: Type.String(),
  enrolledAt: Type.String(),
  lastSeenAt: Nullable(Type.String()),
  revokedAt: Nullable(Type.String()),
});
export type DeviceView = Static<typeof DeviceView>;
export const DevicePage = Page(DeviceView);
export type DevicePage = PageOf<DeviceView>;

export const MoveDevicesRequest = Type.Object(
  { deviceIds: Type.Array(UuidLike, { minItems: 1, maxItems: 1000, uniqueItems: true }), groupId: UuidLike },
  strict,
);
export type MoveDevicesRequest = Static<typeof MoveDevicesRequest>;
export const MoveDevicesResponse = Type.Object({ moved: Type.Integer() });
export type MoveDevicesResponse = Static<typeof MoveDevicesResponse>;

// ─── Enrolment tokens: GET/POST /enrolment-tokens, DELETE /enrolment-tokens/{id} ───

export const EnrolmentTokenView = Type.Object({
  id: Type.String(),
  label: Type.String(),
  groupId: Type.String(),
  expiresAt: Nullable(Type.String()),
  maxUses: Nullable(Type.Integer()),
  uses: Type.Integer(),
  createdAt: Type.String(),
});
export type EnrolmentTokenView = Static<typeof EnrolmentTokenView>;

export const CreateEnrolmentTokenRequest = Type.Object(
  {
    label: Name,
    groupId: UuidLike,
    expiresAt: Type.Optional(Instant),
    maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  strict,
);
export type CreateEnrolmentTokenRequest = Static<typeof CreateEnrolmentTokenRequest>;

/** The token itself is shown once, in this answer only. */
export const CreatedEnrolmentToken = Type.Composite([
  EnrolmentTokenView,
  Type.Object({ token: Type.String() }),
]);
export type CreatedEnrolmentToken = Static<typeof CreatedEnrolmentToken>;

// ─── Signing keys: GET /signing-keys, POST /signing-keys/rotate (admin) ───

export const SigningKeyView = Type.Object({
  kid: Type.String(),
  publicKey: Type.String(),
  createdAt: Type.String(),
  /** When it stopped signing; it stays published until the last token it signed has expired. */
  retiredAt: Nullable(Type.String()),
  active: Type.Boolean(),
});
export type SigningKeyView = Static<typeof SigningKeyView>;

// ─── Categories: GET /categories, POST /categories/sync (admin) ───

export const CategoriesView = Type.Object({
  categories: Type.Array(CategoryNode),
  /** Last successful sync from the upstream's /v1/categories; null before the first. */
  syncedAt: Nullable(Type.String()),
});
export type CategoriesView = Static<typeof CategoriesView>;

// ─── Overrides: GET/POST /overrides, DELETE /overrides/{id} ───

export const OverrideView = Type.Object({
  id: Type.String(),
  /** Normalised key: `sha256:<hex>`, `sha1:…`, `md5:…` or `url:<normalised>`. */
  key: Type.String(),
  action: OverrideAction,
  comment: Type.String(),
  author: Type.String(),
  createdAt: Type.String(),
  expiresAt: Nullable(Type.String()),
});
export type OverrideView = Static<typeof OverrideView>;

/** Exactly one of `hash` (SHA-256, SHA-1 or MD5 hex, any case) or `url` (absolute http(s)). */
export const CreateOverrideRequest = Type.Object(
  {
    hash: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$' })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    action: OverrideAction,
    comment: Type.String({ maxLength: 1000 }),
    expiresAt: Type.Optional(Instant),
  },
  strict,
);
export type CreateOverrideRequest = Static<typeof CreateOverrideRequest>;

// ─── Unknown objects: GET /unknown-objects?limit=&offset= (most prevalent first) ───

export const UnknownObjectView = Type.Object({
  key: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  /** In-network prevalence: distinct devices that asked. */
  devices: Type.Integer(),
  /** An override already decides it, when one does. */
  override: Nullable(OverrideAction),
});
export type UnknownObjectView = Static<typeof UnknownObjectView>;
export const UnknownObjectPage = Page(UnknownObjectView);
export type UnknownObjectPage = PageOf<UnknownObjectView>;

// ─── Alerts: GET /alerts?acknowledged=true|false, POST /alerts/{id}/acknowledge ───

/** An upstream verdict change for an object seen in the network. */
export const VerdictAlertView = Type.Object({
  id: Type.String(),
  key: Type.String(),
  from: Verdict,
  to: Verdict,
  at: Type.String(),
  /** Which proxy reported it first. */
  proxyId: Type.String(),
  /** Distinct devices that asked about the object (0 when only the proxy cache held it). */
  devices: Type.Integer(),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
});
export type VerdictAlertView = Static<typeof VerdictAlertView>;

// ─── Proxies: GET/POST /proxies, GET/DELETE /proxies/{id}, GET /proxies/{id}/traffic?minutes= ───

export const CreateProxyRequest = Type.Object({ name: Name }, strict);
export type CreateProxyRequest = Static<typeof CreateProxyRequest>;

/** The API key is shown once, in this answer only (stored as a hash). */
export const CreatedProxy = Type.Object({ id: Type.String(), name: Type.String(), apiKey: Type.String() });
export type CreatedProxy = Static<typeof CreatedProxy>;

export const ProxyDetail = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String(),
  instanceId: Nullable(Type.String()),
  version: Nullable(Type.String()),
  lastHeartbeatAt: Nullable(Type.String()),
  snapshotVersion: Nullable(Type.Integer()),
  /** The snapshot version security-center serves now. */
  currentSnapshotVersion: Type.Integer(),
  cacheEntries: Nullable(Type.Integer()),
  connected: Type.Boolean(),
  /** connected and running the current snapshot. */
  upToDate: Type.Boolean(),
  /** Seconds since the last heartbeat (null: never). */
  secondsSinceHeartbeat: Nullable(Type.Integer()),
});
export type ProxyDetail = Static<typeof ProxyDetail>;

/** The traffic log: what left the network through a proxy, per minute and kind. */
export const TrafficLogEntry = Type.Object({
  minute: Type.String(),
  kind: TrafficKind,
  requests: Type.Integer(),
  items: Type.Integer(),
  bytesSent: Type.Integer(),
  bytesReceived: Type.Integer(),
});
export type TrafficLogEntry = Static<typeof TrafficLogEntry>;

// ─── Users: GET/POST /users, PATCH/DELETE /users/{id} (admin only) ───

export const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  role: Role,
  createdAt: Type.String(),
  lockedUntil: Nullable(Type.String()),
});
export type UserView = Static<typeof UserView>;

const Password = Type.String({ minLength: 12, maxLength: 1000 });
export const CreateUserRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.@-]+$' }),
    password: Password,
    role: Role,
  },
  strict,
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;
export const UpdateUserRequest = Type.Object(
  { role: Type.Optional(Role), password: Type.Optional(Password) },
  strict,
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

// ─── API tokens for automation: GET/POST /api-tokens, DELETE /api-tokens/{id} (admin) ───
// Use as `Authorization: Bearer kt_…` on any console route (no cookie, so no CSRF header).

export const ApiTokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  createdBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Nullable(Type.String()),
  lastUsedAt: Nullable(Type.String()),
});
export type ApiTokenView = Static<typeof ApiTokenView>;
export const CreateApiTokenRequest = Type.Object(
  { name: Name, role: Role, expiresAt: Type.Optional(Instant) },
  strict,
);
export type CreateApiTokenRequest = Static<typeof CreateApiTokenRequest>;
export const CreatedApiToken = Type.Composite([ApiTokenView, Type.Object({ token: Type.String() })]);
export type CreatedApiToken = Static<typeof CreatedApiToken>;

// ─── Audit log: GET /audit?actor=&objectType=&objectId=&from=&to=&limit=&offset= (newest first; no writes) ───

export const AuditEntryView = Type.Object({
  id: Type.String(),
  at: Type.String(),
  /** Username, `token:<name>` for API tokens, or `system`. */
  actor: Type.String(),
  /** e.g. `group.create`, `policy.update`, `device.revoke`. */
  action: Type.String(),
  objectType: Type.String(),
  objectId: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export type AuditEntryView = Static<typeof AuditEntryView>;
export const AuditPage = Page(AuditEntryView);
export type AuditPage = PageOf<AuditEntryView>;
