import type {
  AppControlRule,
  AppControlSection,
  Decision,
  ModuleId,
  OverrideAction,
  PolicySettings,
  TelemetryKind,
  Verdict,
} from '@ksn/contracts';

/** What is known about an object when a decision is taken. */
export interface ObjectFacts {
  /** Normalised key (`sha256:…`, `md5:…`, `url:…`). */
  key: string;
  verdict: Verdict;
  category?: string | undefined;
  vendor?: string | undefined;
  /** Signing certificate thumbprint, lower-case hex. */
  certificate?: string | undefined;
  /** Lower-case SHA-256 when known (for hash rules). */
  sha256?: string | undefined;
}

export interface DecisionResult {
  decision: Decision;
  /** What decided: `override`, `verdict`, `rule:<id>`, `default-deny`, `default-allow`. */
  reason: string;
}

const BLOCKING_VERDICTS: ReadonlySet<Verdict> = new Set<Verdict>(['malicious', 'suspicious', 'adware']);

/** Rule kinds in order of precedence: a hash rule beats a certificate rule, and so on. */
const PRECEDENCE = ['hash', 'certificate', 'vendor', 'category'] as const;

/** `Games` covers `Games` and `Games/…`, never `Gamesroom`. */
export function categoryCovers(rulePath: string, category: string): boolean {
  return (
    category === rulePath || (category.startsWith(rulePath) && category.charCodeAt(rulePath.length) === 47)
  );
}

function ruleMatches(rule: AppControlRule, facts: ObjectFacts): boolean {
  const m = rule.match;
  switch (m.kind) {
    case 'hash':
      return facts.sha256 === m.sha256;
    case 'certificate':
      return facts.certificate === m.thumbprint;
    case 'vendor':
      return facts.vendor !== undefined && facts.vendor.toLowerCase() === m.vendor.toLowerCase();
    case 'category':
      return facts.category !== undefined && categoryCovers(m.path, facts.category);
  }
}

/** The rule that governs an object: highest-precedence kind first, then list order. Off rules never match. */
export function matchingRule(section: AppControlSection, facts: ObjectFacts): AppControlRule | undefined {
  for (const kind of PRECEDENCE) {
    for (const rule of section.rules) {
      if (rule.status !== 'off' && rule.match.kind === kind && ruleMatches(rule, facts)) return rule;
    }
  }
  return undefined;
}

/**
 * Decide allow / block / audit for one object:
 * 1. an admin override wins;
 * 2. a malicious, suspicious or adware verdict blocks;
 * 3. for files, application control: the governing rule, else the mode's default;
 *    a would-block in test mode (global, or the rule's own) becomes `audit`.
 */
export function decide(
  facts: ObjectFacts,
  settings: PolicySettings,
  override: OverrideAction | undefined,
  isFile: boolean,
): DecisionResult {
  if (override !== undefined) return { decision: override, reason: 'override' };
  if (BLOCKING_VERDICTS.has(facts.verdict)) return { decision: 'block', reason: 'verdict' };
  if (!isFile) return { decision: 'allow', reason: 'verdict' };

  const section = settings.appControl;
  const rule = matchingRule(section, facts);
  if (rule) {
    if (rule.action === 'allow') return { decision: 'allow', reason: `rule:${rule.id}` };
    const test = section.testMode || rule.status === 'test';
    return { decision: test ? 'audit' : 'block', reason: `rule:${rule.id}` };
  }
  if (section.mode === 'default-deny') {
    return { decision: section.testMode ? 'audit' : 'block', reason: 'default-deny' };
  }
  return { decision: 'allow', reason: 'default-allow' };
}

/** May this module ask the cloud at all under this policy? */
export function cloudAllowed(settings: PolicySettings, module: ModuleId): boolean {
  return settings.ksn.participation !== 'off' && settings.cloud.modules[module];
}

const SENDING_SWITCH = {
  statistics: 'statistics',
  'detected-objects': 'detectedObjects',
  urls: 'urls',
} as const satisfies Record<TelemetryKind, keyof PolicySettings['ksn']['sending']>;

/** May this kind of data leave the network? Only under `extended` participation with its switch on. */
export function sendingAllowed(settings: PolicySettings, kind: TelemetryKind): boolean {
  return settings.ksn.participation === 'extended' && settings.ksn.sending[SENDING_SWITCH[kind]];
}
