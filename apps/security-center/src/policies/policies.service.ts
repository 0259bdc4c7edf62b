import { Injectable } from '@nestjs/common';
import {
  SECTION_NAMES,
  type AppControlRule,
  type AppControlRuleInput,
  type AppControlSection,
  type AppControlSectionInput,
  type CreateRuleRequest,
  type EffectivePolicyView,
  type GroupPolicy,
  type GroupPolicyInput,
  type GroupPolicyView,
  type RuleHitView,
  type UpdatePolicyRequest,
  type UpdateRuleRequest,
} from '@ksn/contracts';
import { explainSettings, resolveAll } from '@ksn/policy-engine';
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { found } from '../common/query';
import { AdminGroup } from '../groups/group.entity';
import { GroupsService, lockTree } from '../groups/groups.service';
import { SnapshotService } from '../snapshot/snapshot.service';
import { RuleHit } from './rule-hit.entity';

/** Policies attached to groups, inherited by subgroups, with section locks. */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly db: DataSource,
    private readonly groups: GroupsService,
    private readonly snapshots: SnapshotService,
    private readonly audit: AuditService,
  ) {}

  async get(groupId: string): Promise<GroupPolicyView> {
    const all = await this.db.getRepository(AdminGroup).find();
    const group = found(
      all.find((g) => g.id === groupId),
      'group',
    );
    return { groupId, version: group.version, policy: group.policy, effective: effectiveView(groupId, all) };
  }

  async effective(groupId: string): Promise<EffectivePolicyView> {
    const all = await this.db.getRepository(AdminGroup).find();
    found(
      all.find((g) => g.id === groupId),
      'group',
    );
    return effectiveView(groupId, all);
  }

  /**
   * Replaces what a group sets and locks. Rules without an id get a UUID; ids are unique across
   * all groups. A section an ancestor locks cannot be changed here (409), only left as it was.
   */
  async update(actor: string, groupId: string, req: UpdatePolicyRequest): Promise<GroupPolicyView> {
    await this.db.transaction(async (tx) => {
      // First: rule ids unique across groups, and an ancestor's locks, are read as the last
      // committed change left them and stay so until this one commits (see lockTree).
      await lockTree(tx);
      const all = await tx.find(AdminGroup);
      const group = found(
        all.find((g) => g.id === groupId),
        'group',
      );
      const policy = withRuleIds(req.policy);
      checkRuleIds(policy, groupId, all);
      const effective = resolveAll(all).get(groupId)!;
      for (const section of SECTION_NAMES) {
        const lockedBy = effective.sources[section].lockedBy;
        if (lockedBy !== undefined && !isDeepStrictEqual(policy[section], group.policy[section])) {
          const name = all.find((g) => g.id === lockedBy)?.name ?? lockedBy;
          throw new ApiError(
            'conflict',
            `section ${section} is locked by group "${name}"`,
            `policy.${section}`,
          );
        }
      }
      await this.groups.bumpVersion(tx, groupId, req.version, { policy });
      await this.audit.record(tx, {
        actor,
        action: 'policy.update',
        objectType: 'policy',
        objectId: groupId,
        before: group.policy,
        after: policy,
      });
      await this.snapshots.bump(tx);
    });
    return this.get(groupId);
  }

  // ─── One rule at a time, under the same policy version ───

  async addRule(actor: string, groupId: string, req: CreateRuleRequest): Promise<GroupPolicyView> {
    return this.editRules(actor, groupId, req.version, (rules) => {
      const at = Math.min(req.index ?? rules.length, rules.length);
      return [...rules.slice(0, at), req.rule, ...rules.slice(at)];
    });
  }

  async updateRule(
    actor: string,
    groupId: string,
    ruleId: string,
    req: UpdateRuleRequest,
  ): Promise<GroupPolicyView> {
    return this.editRules(actor, groupId, req.version, (rules) => {
      const i = rules.findIndex((r) => r.id === ruleId);
      if (i < 0) throw new ApiError('not_found', 'rule not found in this group', 'ruleId');
      const { version: _v, index, ...changes } = req;
      const updated = { ...rules[i]!, ...changes };
      const rest = rules.filter((_, k) => k !== i);
      const at = Math.min(index ?? i, rest.length);
      return [...rest.slice(0, at), updated, ...rest.slice(at)];
    });
  }

  async deleteRule(
    actor: string,
    groupId: string,
    ruleId: string,
    version: number,
  ): Promise<GroupPolicyView> {
    return this.editRules(actor, groupId, version, (rules) => {
      if (!rules.some((r) => r.id === ruleId))
        throw new ApiError('not_found', 'rule not found in this group', 'ruleId');
      return rules.filter((r) => r.id !== ruleId);
    });
  }

  private async editRules(
    actor: string,
    groupId: string,
    version: number,
    edit: (rules: AppControlRuleInput[]) => AppControlRuleInput[],
  ): Promise<GroupPolicyView> {
    const current = await this.get(groupId);
    if (current.version !== version) {
      throw new ApiError(
        'conflict',
        `the policy was changed by someone else (version ${current.version}, you sent ${version}); reload and retry`,
        'version',
      );
    }
    const section = current.policy.appControl ?? startFromEffective(current.effective.settings.appControl);
    const { appControl: _old, ...rest } = current.policy;
    try {
      return await this.update(actor, groupId, {
        version,
        policy: { ...rest, appControl: { ...section, rules: edit(section.rules) } },
      });
    } catch (e) {
      // Name the field of this request (`rule.id`), not of the whole policy built from it: only
      // the rule sent can be at fault, as the stored rules (and the copies) have valid ids.
      const m = e instanceof ApiError ? /^policy\.appControl\.rules\[\d+\]\.(.+)$/.exec(e.field ?? '') : null;
      if (e instanceof ApiError && m) throw new ApiError(e.code, e.message, `rule.${m[1]}`, e.headers);
      throw e;
    }
  }

  async ruleHits(): Promise<RuleHitView[]> {
    const rows = await this.db.getRepository(RuleHit).find({ order: { ruleId: 'ASC' } });
    return rows.map((r) => ({ ruleId: r.ruleId, groupId: r.groupId, hits: r.hits, lastHitAt: r.lastHitAt }));
  }
}

/**
 * A group's own application-control section, started from the one it inherits: same settings,
 * same rules in the same order. Rule ids are unique across groups, so the copies get new ones.
 */
function startFromEffective(effective: AppControlSection): AppControlSectionInput {
  return { ...effective, rules: effective.rules.map(({ id: _id, ...rule }) => rule) };
}

function withRuleIds(input: GroupPolicyInput): GroupPolicy {
  const { appControl, ...rest } = input;
  if (!appControl) return rest;
  const rules: AppControlRule[] = appControl.rules.map((r) => ({ ...r, id: r.id ?? randomUUID() }));
  return { ...rest, appControl: { ...appControl, rules } };
}

function checkRuleIds(policy: GroupPolicy, groupId: string, all: AdminGroup[]): void {
  const rules = policy.appControl?.rules ?? [];
  const elsewhere = new Map<string, string>();
  for (const g of all)
    if (g.id !== groupId) for (const r of g.policy.appControl?.rules ?? []) elsewhere.set(r.id, g.name);
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    const field = `policy.appControl.rules[${i}].id`;
    if (seen.has(r.id)) throw new ApiError('invalid_request', `rule id ${r.id} appears twice`, field);
    seen.add(r.id);
    const other = elsewhere.get(r.id);
    if (other !== undefined)
      throw new ApiError('conflict', `rule id ${r.id} is already used in group "${other}"`, field);
  });
}

export function effectiveView(groupId: string, all: AdminGroup[]): EffectivePolicyView {
  const names = new Map(all.map((g) => [g.id, g.name]));
  const effective = resolveAll(all).get(groupId)!;
  return {
    groupId,
    settings: effective.settings,
    sources: effective.sources,
    settingSources: explainSettings(effective).map(({ section: _section, ...row }) => ({
      ...row,
      ...(row.groupId !== undefined && { groupName: names.get(row.groupId) ?? row.groupId }),
      ...(row.lockedBy !== undefined && { lockedByName: names.get(row.lockedBy) ?? row.lockedBy }),
    })),
  };
}
