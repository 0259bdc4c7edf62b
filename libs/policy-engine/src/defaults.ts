import { MODULE_IDS, type ModuleId, type PolicySettings } from '@ksn/contracts';

/** The built-in policy every root group starts from: full KSN participation, no app-control rules. */
export const DEFAULT_SETTINGS: PolicySettings = Object.freeze({
  cloud: { modules: Object.fromEntries(MODULE_IDS.map((m) => [m, true])) as Record<ModuleId, boolean> },
  ksn: { participation: 'extended', sending: { statistics: true, detectedObjects: true, urls: true } },
  appControl: { mode: 'default-allow', testMode: false, rules: [] },
}) as PolicySettings;
