import type { CategoryNode, GroupView } from '@ksn/contracts';

export interface TreeRow {
  readonly group: GroupView;
  readonly depth: number;
  /** Two non-breaking spaces per level: the indent of an `<option>` label (a select collapses plain spaces). */
  readonly indent: string;
}

/** Groups in tree order (parents before children, siblings by name) with their depth, for an indented list. */
export function treeRows(groups: readonly GroupView[]): TreeRow[] {
  const ids = new Set(groups.map((g) => g.id));
  const children = new Map<string | null, GroupView[]>();
  for (const g of groups) {
    const parent = g.parentId !== null && ids.has(g.parentId) ? g.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), g]);
  }
  const rows: TreeRow[] = [];
  const walk = (parent: string | null, depth: number): void => {
    for (const g of [...(children.get(parent) ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
      rows.push({ group: g, depth, indent: '\u00a0\u00a0'.repeat(depth) });
      walk(g.id, depth + 1);
    }
  };
  walk(null, 0);
  return rows;
}

/** The group and everything under it: where it cannot be moved. */
export function subtreeIds(groups: readonly GroupView[], rootId: string): Set<string> {
  const out = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const g of groups) {
      if (g.parentId !== null && out.has(g.parentId) && !out.has(g.id)) {
        out.add(g.id);
        grew = true;
      }
    }
  }
  return out;
}

/** "Head office › Branch › Laptops". */
export function groupPath(groups: readonly GroupView[], id: string): string {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const names: string[] = [];
  let g = byId.get(id);
  while (g && names.length < 100) {
    names.unshift(g.name);
    g = g.parentId === null ? undefined : byId.get(g.parentId);
  }
  return names.join(' › ');
}

/** Every category path of the tree, depth-first ("Games", "Games/Online", …). */
export function categoryPaths(nodes: readonly CategoryNode[]): string[] {
  return nodes.flatMap((n) => [n.path, ...categoryPaths(n.children)]);
}
