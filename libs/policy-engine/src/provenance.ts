import {
  MODULE_IDS,
  SECTION_NAMES,
  type EffectivePolicy,
  type PolicySettings,
  type SectionName,
  type SectionSource,
} from '@ksn/contracts';

/** One setting of an effective policy, with where its value comes from. */
export interface SettingProvenance extends SectionSource {
  /** Dotted path, e.g. `cloud.modules.anti-spam`, `ksn.sending.urls`, `appControl.rules`. */
  path: string;
  section: SectionName;
  value: unknown;
}

/** Every setting path of a section, with a reader for its value. */
const SETTINGS: Record<SectionName, [path: string, read: (s: PolicySettings) => unknown][]> = {
  cloud: MODULE_IDS.map((m) => [`cloud.modules.${m}`, (s) => s.cloud.modules[m]]),
  ksn: [
    ['ksn.participation', (s) => s.ksn.participation],
    ['ksn.sending.statistics', (s) => s.ksn.sending.statistics],
    ['ksn.sending.detectedObjects', (s) => s.ksn.sending.detectedObjects],
    ['ksn.sending.urls', (s) => s.ksn.sending.urls],
  ],
  appControl: [
    ['appControl.mode', (s) => s.appControl.mode],
    ['appControl.testMode', (s) => s.appControl.testMode],
    ['appControl.rules', (s) => s.appControl.rules],
  ],
};

/** Setting paths in their stable display order. */
export const SETTING_PATHS: readonly string[] = SECTION_NAMES.flatMap((s) => SETTINGS[s].map(([p]) => p));

/**
 * Explains an effective policy setting by setting: the value, and whether it is the
 * group's own, inherited from group X (or the built-in default), and locked by group Y.
 * Inheritance and locks work per section, so every setting of a section shares its source.
 */
export function explainSettings(effective: EffectivePolicy): SettingProvenance[] {
  const out: SettingProvenance[] = [];
  for (const section of SECTION_NAMES) {
    const source = effective.sources[section];
    for (const [path, read] of SETTINGS[section]) {
      out.push({ path, section, value: read(effective.settings), ...source });
    }
  }
  return out;
}
