import type { Snapshot, SnapshotKey, SnapshotOverride } from '@ksn/contracts';
import { resolveAll, type PolicyGroup } from './inheritance';

export interface SnapshotInput {
  version: number;
  now: Date;
  groups: ReadonlyArray<PolicyGroup & { name: string }>;
  keys: SnapshotKey[];
  revoked: Snapshot['revoked'];
  moved: Snapshot['moved'];
  overrides: ReadonlyArray<SnapshotOverride>;
}

/**
 * Compile what proxies need: every group's effective settings (no provenance:
 * proxies enforce, they do not explain), keys, revocations, moves and the
 * overrides still in force at `now`.
 */
export function compileSnapshot(input: SnapshotInput): Snapshot {
  const effective = resolveAll(input.groups);
  const nowIso = input.now.toISOString();
  return {
    version: input.version,
    generatedAt: nowIso,
    keys: input.keys,
    groups: input.groups.map((g) => ({
      id: g.id,
      name: g.name,
      parentId: g.parentId,
      policy: effective.get(g.id)!.settings,
    })),
    revoked: input.revoked,
    moved: input.moved,
    overrides: input.overrides.filter((o) => o.expiresAt === undefined || o.expiresAt > nowIso),
  };
}
