import {
  SECTION_NAMES,
  type EffectivePolicy,
  type GroupPolicy,
  type PolicySettings,
  type SectionName,
  type SectionSource,
} from '@ksn/contracts';
import { DEFAULT_SETTINGS } from './defaults';

export interface PolicyGroup {
  id: string;
  parentId: string | null;
  policy: GroupPolicy;
}

export class PolicyTreeError extends Error {
  constructor(
    readonly code: 'unknown_group' | 'cycle',
    readonly groupId: string,
  ) {
    super(code === 'cycle' ? `group ${groupId} is its own ancestor` : `unknown group ${groupId}`);
  }
}

type SectionValue<S extends SectionName> = PolicySettings[S];

/**
 * Effective policy of every group of the tree, computed parent-first in one
 * pass (O(groups)). For each section: a group's own value applies unless an
 * ancestor locks the section; a lock fixes the ancestor's effective value for
 * its whole subtree. A lock on a group does not constrain the group itself.
 */
export function resolveAll(groups: readonly PolicyGroup[]): Map<string, EffectivePolicy> {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const done = new Map<string, EffectivePolicy>();
  const visiting = new Set<string>();

  const resolve = (group: PolicyGroup): EffectivePolicy => {
    const cached = done.get(group.id);
    if (cached) return cached;
    if (visiting.has(group.id)) throw new PolicyTreeError('cycle', group.id);
    visiting.add(group.id);
    let parentGroup: PolicyGroup | undefined;
    if (group.parentId !== null) {
      parentGroup = byId.get(group.parentId);
      if (!parentGroup) throw new PolicyTreeError('unknown_group', group.parentId);
    }
    const parent = parentGroup ? resolve(parentGroup) : undefined;
    const result = resolveChild(group, parentGroup, parent);
    visiting.delete(group.id);
    done.set(group.id, result);
    return result;
  };

  for (const g of groups) resolve(g);
  return done;
}

function resolveChild(
  group: PolicyGroup,
  parentGroup: PolicyGroup | undefined,
  parent: EffectivePolicy | undefined,
): EffectivePolicy {
  const settings = {} as Record<SectionName, SectionValue<SectionName>>;
  const sources = {} as Record<SectionName, SectionSource>;
  for (const section of SECTION_NAMES) {
    const inheritedSource = parent?.sources[section];
    // Nearest lock above this group: the parent's own lock, else whatever locked the parent.
    const lockedBy =
      parentGroup && parentGroup.policy.locked.includes(section) ? parentGroup.id : inheritedSource?.lockedBy;
    const own = group.policy[section];
    if (own !== undefined && lockedBy === undefined) {
      settings[section] = own;
      sources[section] = { from: 'own', groupId: group.id };
    } else if (parent && inheritedSource) {
      settings[section] = parent.settings[section];
      sources[section] = {
        from: inheritedSource.groupId === undefined ? 'default' : 'inherited',
        ...(inheritedSource.groupId !== undefined && { groupId: inheritedSource.groupId }),
        ...(lockedBy !== undefined && { lockedBy }),
      };
    } else {
      settings[section] = DEFAULT_SETTINGS[section];
      sources[section] = { from: 'default' };
    }
  }
  return { settings: settings as PolicySettings, sources: sources as EffectivePolicy['sources'] };
}

/** Effective policy of one group. */
export function resolveEffectivePolicy(groupId: string, groups: readonly PolicyGroup[]): EffectivePolicy {
  const result = resolveAll(groups).get(groupId);
  if (!result) throw new PolicyTreeError('unknown_group', groupId);
  return result;
}
