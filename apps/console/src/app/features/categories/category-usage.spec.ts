import type { GroupPolicyView } from '@ksn/contracts';
import { childPolicyView, group } from '../../../testing/policy';
import { categoryRows, ruleUses } from './category-usage';

describe('category usage', () => {
  const view: GroupPolicyView = childPolicyView();
  view.policy.appControl = {
    mode: 'default-allow',
    testMode: false,
    rules: [
      { id: 'r1', action: 'block', status: 'on', match: { kind: 'category', path: 'Games/Online' } },
      { id: 'r2', action: 'allow', status: 'on', match: { kind: 'vendor', vendor: 'Acme' } },
    ],
  };
  const tree = [
    { name: 'Games', path: 'Games', children: [{ name: 'Online', path: 'Games/Online', children: [] }] },
  ];

  it('joins rules with their hits and flags unused ones', () => {
    const uses = ruleUses(
      [group({ id: 'g-child', name: 'Branch' })],
      [view],
      [{ ruleId: 'r1', groupId: 'g-child', hits: 5, lastHitAt: '2026-11-27T10:00:00.000Z' }],
    );
    expect(uses.map((u) => [u.rule.id, u.groupName, u.hits, u.unused])).toEqual([
      ['r1', 'Branch', 5, false],
      ['r2', 'Branch', 0, true],
    ]);
    const rows = categoryRows(tree, uses);
    expect(rows.map((r) => [r.node.path, r.depth, r.rules.map((u) => u.rule.id)])).toEqual([
      ['Games', 0, []],
      ['Games/Online', 1, ['r1']],
    ]);
  });
});
