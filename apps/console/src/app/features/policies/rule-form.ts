import type { AppControlRuleInput, ModuleId, RuleMatch } from '@ksn/contracts';

export type RuleKind = RuleMatch['kind'];

export interface RuleFormValue {
  kind: RuleKind;
  value: string;
  action: 'allow' | 'block';
  status: 'on' | 'off' | 'test';
  comment: string;
}

export const EMPTY_RULE: RuleFormValue = {
  kind: 'category',
  value: '',
  action: 'block',
  status: 'on',
  comment: '',
};

/** An error message for the rule's value, or null when the rule can be added. */
export function ruleValueError(v: RuleFormValue): string | null {
  const value = v.value.trim();
  switch (v.kind) {
    case 'category':
      return value ? null : 'Pick a category.';
    case 'vendor':
      if (!value) return 'Enter a vendor name.';
      return value.length > 200 ? 'At most 200 characters.' : null;
    case 'certificate':
      return /^[0-9a-fA-F]{40}$/.test(value)
        ? null
        : 'A certificate thumbprint is 40 hexadecimal characters (SHA-1).';
    case 'hash':
      return /^[0-9a-fA-F]{64}$/.test(value)
        ? null
        : 'A file hash here is a SHA-256: 64 hexadecimal characters.';
  }
}

export function ruleFromForm(v: RuleFormValue): AppControlRuleInput {
  const value = v.value.trim();
  const match: RuleMatch =
    v.kind === 'category'
      ? { kind: 'category', path: value }
      : v.kind === 'vendor'
        ? { kind: 'vendor', vendor: value }
        : v.kind === 'certificate'
          ? { kind: 'certificate', thumbprint: value.toLowerCase() }
          : { kind: 'hash', sha256: value.toLowerCase() };
  const comment = v.comment.trim();
  return { action: v.action, status: v.status, match, ...(comment ? { comment } : {}) };
}

export function describeMatch(match: RuleMatch): string {
  switch (match.kind) {
    case 'category':
      return `Category ${match.path}`;
    case 'vendor':
      return `Vendor ${match.vendor}`;
    case 'certificate':
      return `Certificate ${match.thumbprint}`;
    case 'hash':
      return `File ${match.sha256}`;
  }
}

/** Moves item `from` one place up (-1) or down (+1); out-of-range moves change nothing. */
export function moveItem<T>(list: readonly T[], from: number, step: -1 | 1): T[] {
  const to = from + step;
  const out = [...list];
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return out;
  [out[from], out[to]] = [out[to], out[from]];
  return out;
}

export const MODULE_LABELS: Record<ModuleId, string> = {
  'file-threat-protection': 'File Threat Protection',
  'web-threat-protection': 'Web Threat Protection',
  'mail-threat-protection': 'Mail Threat Protection',
  'behavior-detection': 'Behavior Detection',
  'exploit-prevention': 'Exploit Prevention',
  'host-intrusion-prevention': 'Host Intrusion Prevention',
  'application-control': 'Application Control',
  'anti-spam': 'Anti-Spam',
};
export const MODULE_IDS = Object.keys(MODULE_LABELS) as ModuleId[];

export const SENDING_KINDS = [
  { key: 'statistics', label: 'Statistics' },
  { key: 'detectedObjects', label: 'Detected-object metadata' },
  { key: 'urls', label: 'URLs' },
] as const;
