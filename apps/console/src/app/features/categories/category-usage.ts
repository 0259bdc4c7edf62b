import type { AppControlRule, CategoryNode, GroupPolicyView, GroupView, RuleHitView } from '@ksn/contracts';

export interface RuleUse {
  readonly rule: AppControlRule;
  readonly groupId: string;
  readonly groupName: string;
  readonly hits: number;
  readonly lastHitAt: string | null;
  /** Never decided a lookup. */
  readonly unused: boolean;
}

export interface CategoryRow {
  readonly node: CategoryNode;
  readonly depth: number;
  /** Rules on exactly this category path (a rule on `Games` also covers `Games/…`). */
  readonly rules: readonly RuleUse[];
}

/** Every category rule of every group's own policy, with its hit count. */
export function ruleUses(
  groups: readonly GroupView[],
  policies: readonly GroupPolicyView[],
  hits: readonly RuleHitView[],
): RuleUse[] {
  const names = new Map(groups.map((g) => [g.id, g.name]));
  const byRule = new Map(hits.map((h) => [h.ruleId, h]));
  return policies.flatMap((p) =>
    (p.policy.appControl?.rules ?? []).map((rule) => {
      const h = byRule.get(rule.id);
      const count = h?.hits ?? 0;
      return {
        rule,
        groupId: p.groupId,
        groupName: names.get(p.groupId) ?? p.groupId,
        hits: count,
        lastHitAt: h?.lastHitAt ?? null,
        unused: count === 0,
      };
    }),
  );
}

/** The tree in display order with the rules on each category. */
export function categoryRows(
  nodes: readonly CategoryNode[],
  uses: readonly RuleUse[],
  depth = 0,
): CategoryRow[] {
  return nodes.flatMap((node) => [
    {
      node,
      depth,
      rules: uses.filter((u) => u.rule.match.kind === 'category' && u.rule.match.path === node.path),
    },
    ...categoryRows(node.children, uses, depth + 1),
  ]);
}
