import fc from 'fast-check';
import { SECTION_NAMES, type GroupPolicy, type SectionName } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from './defaults';
import { PolicyTreeError, resolveAll, resolveEffectivePolicy, type PolicyGroup } from './inheritance';

const off = (module: keyof typeof DEFAULT_SETTINGS.cloud.modules) => ({
  modules: { ...DEFAULT_SETTINGS.cloud.modules, [module]: false },
});

describe(resolveAll.name, () => {
  it('gives a root without settings the built-in defaults', () => {
    const eff = resolveEffectivePolicy('root', [{ id: 'root', parentId: null, policy: { locked: [] } }]);
    expect(eff.settings).toEqual(DEFAULT_SETTINGS);
    expect(eff.sources.cloud).toEqual({ from: 'default' });
  });

  it('inherits from the nearest ancestor that sets a section, and says which', () => {
    const groups: PolicyGroup[] = [
      { id: 'root', parentId: null, policy: { locked: [], cloud: off('anti-spam') } },
      { id: 'mid', parentId: 'root', policy: { locked: [] } },
      {
        id: 'leaf',
        parentId: 'mid',
        policy: {
          locked: [],
          ksn: {
            participation: 'basic',
            sending: { statistics: false, detectedObjects: false, urls: false },
          },
        },
      },
    ];
    const leaf = resolveEffectivePolicy('leaf', groups);
    expect(leaf.settings.cloud.modules['anti-spam']).toBe(false);
    expect(leaf.sources.cloud).toEqual({ from: 'inherited', groupId: 'root' });
    expect(leaf.sources.ksn).toEqual({ from: 'own', groupId: 'leaf' });
    expect(leaf.sources.appControl).toEqual({ from: 'default' });
  });

  it('lets a lock override the subtree, and names the locking group', () => {
    const groups: PolicyGroup[] = [
      { id: 'root', parentId: null, policy: { locked: ['cloud'], cloud: off('anti-spam') } },
      { id: 'child', parentId: 'root', policy: { locked: [], cloud: off('web-threat-protection') } },
      { id: 'grandchild', parentId: 'child', policy: { locked: [], cloud: off('behavior-detection') } },
    ];
    const all = resolveAll(groups);
    for (const id of ['child', 'grandchild']) {
      expect(all.get(id)!.settings.cloud).toEqual(off('anti-spam'));
      expect(all.get(id)!.sources.cloud).toEqual({ from: 'inherited', groupId: 'root', lockedBy: 'root' });
    }
    // The lock binds subgroups, not the group that sets it.
    expect(all.get('root')!.sources.cloud).toEqual({ from: 'own', groupId: 'root' });
  });

  it('refuses cycles and unknown parents', () => {
    expect(() =>
      resolveAll([
        { id: 'a', parentId: 'b', policy: { locked: [] } },
        { id: 'b', parentId: 'a', policy: { locked: [] } },
      ]),
    ).toThrow(PolicyTreeError);
    expect(() => resolveAll([{ id: 'a', parentId: 'nope', policy: { locked: [] } }])).toThrow(
      /unknown group nope/,
    );
  });

  // Random trees: group i's parent is one of groups 0..i-1; each group sets a random subset of
  // sections (to a distinguishable value) and locks a random subset.
  const arbTree = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          parent: i === 0 ? fc.constant(-1) : fc.integer({ min: 0, max: i - 1 }),
          sets: fc.subarray([...SECTION_NAMES]),
          locks: fc.subarray([...SECTION_NAMES]),
        }),
      ),
    ),
  );

  function build(spec: { parent: number; sets: SectionName[]; locks: SectionName[] }[]): PolicyGroup[] {
    return spec.map((s, i) => {
      const policy: GroupPolicy = { locked: s.locks };
      // Encode the group's index in each section so values identify their origin.
      if (s.sets.includes('cloud'))
        policy.cloud = { modules: { ...DEFAULT_SETTINGS.cloud.modules, 'anti-spam': i % 2 === 0 } };
      if (s.sets.includes('ksn'))
        policy.ksn = {
          participation: 'basic',
          sending: { statistics: false, detectedObjects: false, urls: i % 2 === 0 },
        };
      if (s.sets.includes('appControl'))
        policy.appControl = {
          mode: 'default-allow',
          testMode: false,
          rules: [{ id: `r${i}`, action: 'block', status: 'on', match: { kind: 'vendor', vendor: `v${i}` } }],
        };
      return { id: `g${i}`, parentId: s.parent < 0 ? null : `g${s.parent}`, policy };
    });
  }

  function ancestors(groups: PolicyGroup[], id: string): PolicyGroup[] {
    const byId = new Map(groups.map((g) => [g.id, g]));
    const out: PolicyGroup[] = [];
    for (let g = byId.get(byId.get(id)!.parentId ?? ''); g; g = byId.get(g.parentId ?? '')) out.push(g);
    return out; // nearest first
  }

  it('property: the applying value comes from the topmost lock, else the nearest group that sets it', () => {
    fc.assert(
      fc.property(arbTree, (spec) => {
        const groups = build(spec);
        const all = resolveAll(groups);
        for (const g of groups) {
          const up = ancestors(groups, g.id);
          for (const section of SECTION_NAMES) {
            const topLock = [...up].reverse().find((a) => a.policy.locked.includes(section));
            const eff = all.get(g.id)!;
            if (topLock) {
              expect(eff.settings[section]).toEqual(all.get(topLock.id)!.settings[section]);
              expect(eff.sources[section].lockedBy).toBeDefined();
            } else {
              const setter = [g, ...up].find((a) => a.policy[section] !== undefined);
              expect(eff.settings[section]).toEqual(
                setter ? setter.policy[section] : DEFAULT_SETTINGS[section],
              );
              expect(eff.sources[section].groupId).toBe(setter?.id);
              expect(eff.sources[section].lockedBy).toBeUndefined();
            }
          }
        }
      }),
      { seed: 4242, numRuns: 300 },
    );
  });

  it("property: a group that sets nothing and sits under no lock has its parent's settings", () => {
    fc.assert(
      fc.property(arbTree, (spec) => {
        const groups = build(spec.map((s, i) => (i === spec.length - 1 ? { ...s, sets: [] } : s)));
        const last = groups[groups.length - 1]!;
        if (last.parentId === null) return;
        const all = resolveAll(groups);
        expect(all.get(last.id)!.settings).toEqual(all.get(last.parentId)!.settings);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
