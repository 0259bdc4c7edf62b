import { group } from '../../testing/policy';
import { categoryPaths, groupPath, subtreeIds, treeRows } from './group-tree';

const GROUPS = [
  group({ id: 'r', name: 'Root' }),
  group({ id: 'b', name: 'Branch', parentId: 'r' }),
  group({ id: 'a', name: 'Accounting', parentId: 'r' }),
  group({ id: 'l', name: 'Laptops', parentId: 'b' }),
];

describe('group tree', () => {
  it('orders parents before children, siblings by name, with depth', () => {
    expect(treeRows(GROUPS).map((r) => `${r.depth}:${r.group.name}`)).toEqual([
      '0:Root',
      '1:Accounting',
      '1:Branch',
      '2:Laptops',
    ]);
  });

  it('indents option labels with non-breaking spaces, two per level', () => {
    expect(treeRows(GROUPS).map((r) => r.indent)).toEqual([
      '',
      '\u00a0'.repeat(2),
      '\u00a0'.repeat(2),
      '\u00a0'.repeat(4),
    ]);
  });

  it('finds a subtree and a path', () => {
    expect([...subtreeIds(GROUPS, 'b')].sort()).toEqual(['b', 'l']);
    expect(groupPath(GROUPS, 'l')).toBe('Root › Branch › Laptops');
  });

  it('lists category paths depth-first', () => {
    const tree = [
      { name: 'Games', path: 'Games', children: [{ name: 'Online', path: 'Games/Online', children: [] }] },
    ];
    expect(categoryPaths(tree)).toEqual(['Games', 'Games/Online']);
  });
});
