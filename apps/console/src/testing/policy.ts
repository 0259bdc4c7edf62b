import type { GroupPolicyView, GroupView, ModuleId, PolicySettings, SettingSource } from '@ksn/contracts';

export const MODULES: readonly ModuleId[] = [
  'file-threat-protection',
  'web-threat-protection',
  'mail-threat-protection',
  'behavior-detection',
  'exploit-prevention',
  'host-intrusion-prevention',
  'application-control',
  'anti-spam',
];

export function settings(): PolicySettings {
  return {
    cloud: { modules: Object.fromEntries(MODULES.map((m) => [m, true])) as Record<ModuleId, boolean> },
    ksn: { participation: 'extended', sending: { statistics: true, detectedObjects: true, urls: true } },
    appControl: { mode: 'default-allow', testMode: false, rules: [] },
  };
}

export function group(overrides: Partial<GroupView> = {}): GroupView {
  return {
    id: 'g-root',
    name: 'All devices',
    parentId: null,
    version: 1,
    deviceCount: 0,
    createdAt: '2026-11-27T09:00:00.000Z',
    updatedAt: '2026-11-27T09:00:00.000Z',
    ...overrides,
  };
}

/** A child group that inherits everything from "Head office", which locks `ksn`. */
export function childPolicyView(version = 3): GroupPolicyView {
  const s = settings();
  const sources: SettingSource[] = [
    ...MODULES.map((m): SettingSource => ({
      path: `cloud.modules.${m}`,
      value: true,
      from: 'inherited',
      groupId: 'g-root',
      groupName: 'Head office',
    })),
    ...['participation', 'sending.statistics', 'sending.detectedObjects', 'sending.urls'].map(
      (p): SettingSource => ({
        path: `ksn.${p}`,
        value: true,
        from: 'inherited',
        groupId: 'g-root',
        groupName: 'Head office',
        lockedBy: 'g-root',
        lockedByName: 'Head office',
      }),
    ),
    ...['mode', 'testMode', 'rules'].map((p): SettingSource => ({
      path: `appControl.${p}`,
      value: null,
      from: 'default',
    })),
  ];
  return {
    groupId: 'g-child',
    version,
    policy: { locked: [] },
    effective: {
      groupId: 'g-child',
      settings: s,
      sources: {
        cloud: { from: 'inherited', groupId: 'g-root' },
        ksn: { from: 'inherited', groupId: 'g-root', lockedBy: 'g-root' },
        appControl: { from: 'default' },
      },
      settingSources: sources,
    },
  };
}
