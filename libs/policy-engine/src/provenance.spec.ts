import fc from 'fast-check';
import { SECTION_NAMES, type GroupPolicy, type PolicySettings, type SectionName } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from './defaults';
import { resolveAll, type PolicyGroup } from './inheritance';
import { explainSettings, SETTING_PATHS } from './provenance';

function read(settings: Partial<PolicySettings>, path: string): unknown {
  let v: unknown = settings;
  for (const part of path.split('.')) v = v === undefined ? undefined : (v as Record<string, unknown>)[part];
  return v;
}

describe(explainSettings.name, () => {
  it("lists every setting once, in a stable order, with its section's source", () => {
    const groups: PolicyGroup[] = [
      {
        id: 'root',
        parentId: null,
        policy: {
          locked: ['ksn'],
          ksn: {
            participation: 'basic',
            sending: { statistics: false, detectedObjects: false, urls: false },
          },
        },
      },
      {
        id: 'child',
        parentId: 'root',
        policy: {
          locked: [],
          ksn: {
            participation: 'extended',
            sending: { statistics: true, detectedObjects: true, urls: true },
          },
          cloud: { modules: { ...DEFAULT_SETTINGS.cloud.modules, 'anti-spam': false } },
        },
      },
    ];
    const rows = explainSettings(resolveAll(groups).get('child')!);
    expect(rows.map((r) => r.path)).toEqual(SETTING_PATHS);
    expect(new Set(SETTING_PATHS).size).toBe(SETTING_PATHS.length);
    expect(rows.find((r) => r.path === 'cloud.modules.anti-spam')).toEqual({
      path: 'cloud.modules.anti-spam',
      section: 'cloud',
      value: false,
      from: 'own',
      groupId: 'child',
    });
    // The child's own ksn section is overruled by the root's lock.
    expect(rows.find((r) => r.path === 'ksn.participation')).toEqual({
      path: 'ksn.participation',
      section: 'ksn',
      value: 'basic',
      from: 'inherited',
      groupId: 'root',
      lockedBy: 'root',
    });
    expect(rows.find((r) => r.path === 'appControl.mode')).toEqual({
      path: 'appControl.mode',
      section: 'appControl',
      value: 'default-allow',
      from: 'default',
    });
  });

  // Random trees as in inheritance.spec.ts, with values that differ per group so a value identifies its origin.
  const arbTree = fc.integer({ min: 1, max: 30 }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          parent: i === 0 ? fc.constant(-1) : fc.integer({ min: 0, max: i - 1 }),
          sets: fc.subarray([...SECTION_NAMES]),
          locks: fc.subarray([...SECTION_NAMES]),
          bits: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        }),
      ),
    ),
  );

  function build(
    spec: { parent: number; sets: SectionName[]; locks: SectionName[]; bits: boolean[] }[],
  ): PolicyGroup[] {
    return spec.map((s, i) => {
      const policy: GroupPolicy = { locked: s.locks };
      if (s.sets.includes('cloud')) {
        policy.cloud = {
          modules: Object.fromEntries(
            Object.keys(DEFAULT_SETTINGS.cloud.modules).map((m, k) => [m, s.bits[k]!]),
          ) as PolicySettings['cloud']['modules'],
        };
      }
      if (s.sets.includes('ksn'))
        policy.ksn = {
          participation: (['extended', 'basic', 'off'] as const)[i % 3]!,
          sending: { statistics: s.bits[0]!, detectedObjects: s.bits[1]!, urls: s.bits[2]! },
        };
      if (s.sets.includes('appControl'))
        policy.appControl = {
          mode: s.bits[3] ? 'default-deny' : 'default-allow',
          testMode: s.bits[4]!,
          rules: [{ id: `r${i}`, action: 'block', status: 'on', match: { kind: 'vendor', vendor: `v${i}` } }],
        };
      return { id: `g${i}`, parentId: s.parent < 0 ? null : `g${s.parent}`, policy };
    });
  }

  it('property: each setting names a source whose own value it is, and a lock only from an ancestor that locks it', () => {
    fc.assert(
      fc.property(arbTree, (spec) => {
        const groups = build(spec);
        const byId = new Map(groups.map((g) => [g.id, g]));
        const all = resolveAll(groups);
        for (const g of groups) {
          const ancestors: PolicyGroup[] = [];
          for (let a = byId.get(g.parentId ?? ''); a; a = byId.get(a.parentId ?? '')) ancestors.push(a);
          for (const row of explainSettings(all.get(g.id)!)) {
            const section = row.section;
            if (row.from === 'default') {
              expect(row.groupId).toBeUndefined();
              expect(row.value).toEqual(read(DEFAULT_SETTINGS, row.path));
            } else {
              const origin = byId.get(row.groupId!)!;
              expect(row.from === 'own' ? origin === g : ancestors.includes(origin)).toBe(true);
              expect(row.value).toEqual(read(origin.policy as Partial<PolicySettings>, row.path));
            }
            const anyLock = ancestors.some((a) => a.policy.locked.includes(section));
            if (row.lockedBy !== undefined) {
              const locker = byId.get(row.lockedBy)!;
              expect(ancestors.includes(locker) && locker.policy.locked.includes(section)).toBe(true);
              expect(row.from).not.toBe('own');
            } else {
              expect(anyLock).toBe(false);
            }
            // Without a lock, a group that sets a section always gets its own values.
            if (!anyLock && g.policy[section] !== undefined)
              expect(row).toMatchObject({ from: 'own', groupId: g.id });
          }
        }
      }),
      { seed: 1337, numRuns: 150 },
    );
  });
});
