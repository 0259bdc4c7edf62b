/** Policy model shared by security-center (storage, compile) and ksn-proxy (enforcement). */
import { Type, type Static } from '@sinclair/typebox';
import { ModuleId, MODULE_IDS } from './common';

export const SECTION_NAMES = ['cloud', 'ksn', 'appControl'] as const;
export const SectionName = Type.Union(SECTION_NAMES.map((s) => Type.Literal(s)));
export type SectionName = Static<typeof SectionName>;

/** Cloud protection: per module id, cloud lookups on (true) or off (false). */
export const CloudSection = Type.Object(
  {
    modules: Type.Object(
      Object.fromEntries(MODULE_IDS.map((m) => [m, Type.Boolean()])) as Record<
        ModuleId,
        ReturnType<typeof Type.Boolean>
      >,
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CloudSection = Static<typeof CloudSection>;

export const Participation = Type.Union([
  Type.Literal('extended'),
  Type.Literal('basic'),
  Type.Literal('off'),
]);
export type Participation = Static<typeof Participation>;

export const KsnSection = Type.Object(
  {
    participation: Participation,
    sending: Type.Object(
      { statistics: Type.Boolean(), detectedObjects: Type.Boolean(), urls: Type.Boolean() },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type KsnSection = Static<typeof KsnSection>;

export const RuleMatch = Type.Union([
  Type.Object(
    { kind: Type.Literal('hash'), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('certificate'), thumbprint: Type.String({ pattern: '^[0-9a-f]{40}$' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('vendor'), vendor: Type.String({ minLength: 1, maxLength: 200 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('category'), path: Type.String({ minLength: 1, maxLength: 500 }) },
    { additionalProperties: false },
  ),
]);
export type RuleMatch = Static<typeof RuleMatch>;

export const AppControlRule = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    action: Type.Union([Type.Literal('allow'), Type.Literal('block')]),
    /** on: enforced; off: ignored; test: would-block is reported as audit. */
    status: Type.Union([Type.Literal('on'), Type.Literal('off'), Type.Literal('test')]),
    match: RuleMatch,
    comment: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type AppControlRule = Static<typeof AppControlRule>;

export const AppControlSection = Type.Object(
  {
    mode: Type.Union([Type.Literal('default-allow'), Type.Literal('default-deny')]),
    testMode: Type.Boolean(),
    rules: Type.Array(AppControlRule, { maxItems: 10000 }),
  },
  { additionalProperties: false },
);
export type AppControlSection = Static<typeof AppControlSection>;

/** A complete set of settings: what a device is governed by. */
export const PolicySettings = Type.Object(
  { cloud: CloudSection, ksn: KsnSection, appControl: AppControlSection },
  { additionalProperties: false },
);
export type PolicySettings = Static<typeof PolicySettings>;

/**
 * What is stored for one group: the sections it sets itself (absent = inherit)
 * and the sections it locks for its subgroups.
 */
export const GroupPolicy = Type.Object(
  {
    cloud: Type.Optional(CloudSection),
    ksn: Type.Optional(KsnSection),
    appControl: Type.Optional(AppControlSection),
    locked: Type.Array(SectionName, { uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type GroupPolicy = Static<typeof GroupPolicy>;

export const SectionSource = Type.Object({
  /** own: set by this group; inherited: set by an ancestor; default: the built-in default. */
  from: Type.Union([Type.Literal('own'), Type.Literal('inherited'), Type.Literal('default')]),
  /** The group whose value applies (absent for the built-in default). */
  groupId: Type.Optional(Type.String()),
  /** The nearest ancestor that locks this section, when one does. */
  lockedBy: Type.Optional(Type.String()),
});
export type SectionSource = Static<typeof SectionSource>;

export const EffectivePolicy = Type.Object({
  settings: PolicySettings,
  sources: Type.Object({ cloud: SectionSource, ksn: SectionSource, appControl: SectionSource }),
});
export type EffectivePolicy = Static<typeof EffectivePolicy>;

export const OverrideAction = Type.Union([Type.Literal('allow'), Type.Literal('block')]);
export type OverrideAction = Static<typeof OverrideAction>;

/** An admin override as compiled into the snapshot. */
export const SnapshotOverride = Type.Object({
  /** Normalised object key (see keys.ts). */
  key: Type.String(),
  action: OverrideAction,
  expiresAt: Type.Optional(Type.String()),
});
export type SnapshotOverride = Static<typeof SnapshotOverride>;
