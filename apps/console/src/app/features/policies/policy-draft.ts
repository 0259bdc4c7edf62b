/**
 * The policy editor's model, as plain functions: a draft built from what the server sent,
 * the request that saves it, the provenance of each setting, and the three-way merge that
 * keeps the user's work when someone else saved the same policy meanwhile (409).
 */
import type {
  AppControlSectionInput,
  CloudSection,
  GroupPolicyInput,
  GroupPolicyView,
  KsnSection,
  SectionName,
  SettingSource,
} from '@ksn/contracts';

export const SECTIONS: readonly SectionName[] = ['cloud', 'ksn', 'appControl'];

export interface SectionDraft<T> {
  /** Set in this group (true) or inherited (false). */
  own: boolean;
  /** Locked for subgroups by this group. */
  locked: boolean;
  value: T;
}

export interface PolicyDraft {
  cloud: SectionDraft<CloudSection>;
  ksn: SectionDraft<KsnSection>;
  appControl: SectionDraft<AppControlSectionInput>;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Own sections take the group's stored value; inherited ones show the effective (inherited) value. */
export function draftFromView(view: GroupPolicyView): PolicyDraft {
  const { policy, effective } = view;
  const locked = new Set(policy.locked);
  return {
    cloud: {
      own: policy.cloud !== undefined,
      locked: locked.has('cloud'),
      value: clone(policy.cloud ?? effective.settings.cloud),
    },
    ksn: {
      own: policy.ksn !== undefined,
      locked: locked.has('ksn'),
      value: clone(policy.ksn ?? effective.settings.ksn),
    },
    appControl: {
      own: policy.appControl !== undefined,
      locked: locked.has('appControl'),
      value: clone(policy.appControl ?? effective.settings.appControl),
    },
  };
}

/** What PUT /groups/{id}/policy takes: only the sections set here, and the locks. */
export function policyInput(draft: PolicyDraft): GroupPolicyInput {
  const input: GroupPolicyInput = { locked: SECTIONS.filter((s) => draft[s].locked) };
  if (draft.cloud.own) input.cloud = clone(draft.cloud.value);
  if (draft.ksn.own) input.ksn = clone(draft.ksn.value);
  if (draft.appControl.own) input.appControl = clone(draft.appControl.value);
  return input;
}

/** The ancestor locking `section` for this group, if any: then the section is read-only here. */
export function lockedByParent(
  view: GroupPolicyView,
  section: SectionName,
): { id: string; name: string } | null {
  const source = view.effective.sources[section];
  if (!source.lockedBy || source.lockedBy === view.groupId) return null;
  const named = view.effective.settingSources.find((s) => s.path.startsWith(`${section}.`) && s.lockedByName);
  return { id: source.lockedBy, name: named?.lockedByName ?? source.lockedBy };
}

/** "Set here", "Inherited from Branch", "Default", "Locked by Head office": beside each setting. */
export function provenanceLabel(draft: PolicyDraft, sources: readonly SettingSource[], path: string): string {
  const section = path.split('.')[0] as SectionName;
  const source = sources.find((s) => s.path === path);
  if (source?.lockedBy) return `Locked by ${source.lockedByName ?? source.lockedBy}`;
  if (draft[section].own) return 'Set here';
  if (!source || source.from === 'default') return 'Default';
  if (source.from === 'own') return 'Inherited (saved here before)';
  return `Inherited from ${source.groupName ?? source.groupId ?? 'a parent group'}`;
}

// ─── Three-way merge after a 409 ───

type Flat = Map<string, string>;

/** Dotted paths → JSON of the leaf; arrays (the rule list) are one leaf. */
function flatten(value: unknown, prefix: string, out: Flat): Flat {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string, json: string | undefined): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (json === undefined) delete node[last];
  else node[last] = JSON.parse(json) as unknown;
}

export interface MergeConflict {
  /** e.g. `cloud.value.modules.anti-spam`, `ksn.locked`, `appControl.value.rules`. */
  readonly path: string;
  readonly mine: unknown;
  readonly theirs: unknown;
}

export interface MergeResult {
  readonly merged: PolicyDraft;
  readonly conflicts: readonly MergeConflict[];
  /** Paths where their change was taken because this user had not touched them. */
  readonly takenFromTheirs: readonly string[];
}

/**
 * Merges `theirs` (the policy as saved now) into `mine` (the draft), both descended from
 * `base` (what this user loaded): settings only they changed are taken; settings only I
 * changed are kept; settings we both changed differently stay mine and are listed as
 * conflicts, so nothing I did is lost and nothing they did is silently overwritten.
 */
export function mergeDrafts(base: PolicyDraft, mine: PolicyDraft, theirs: PolicyDraft): MergeResult {
  const b = flatten(base, '', new Map());
  const m = flatten(mine, '', new Map());
  const t = flatten(theirs, '', new Map());
  const merged = clone(mine) as unknown as Record<string, unknown>;
  const conflicts: MergeConflict[] = [];
  const takenFromTheirs: string[] = [];
  for (const path of new Set([...b.keys(), ...m.keys(), ...t.keys()])) {
    const [bv, mv, tv] = [b.get(path), m.get(path), t.get(path)];
    if (tv === bv || tv === mv) continue;
    if (mv === bv) {
      setPath(merged, path, tv);
      takenFromTheirs.push(path);
    } else {
      conflicts.push({ path, mine: parse(mv), theirs: parse(tv) });
    }
  }
  return { merged: merged as unknown as PolicyDraft, conflicts, takenFromTheirs };
}

const parse = (json: string | undefined): unknown =>
  json === undefined ? undefined : (JSON.parse(json) as unknown);

/** Resolves one conflict with their value. */
export function takeTheirs(draft: PolicyDraft, conflict: MergeConflict): PolicyDraft {
  const next = clone(draft) as unknown as Record<string, unknown>;
  setPath(next, conflict.path, conflict.theirs === undefined ? undefined : JSON.stringify(conflict.theirs));
  return next as unknown as PolicyDraft;
}

/** `cloud.value.modules.anti-spam` → "Cloud protection › anti-spam". */
export function describePath(path: string): string {
  const [section, kind, ...rest] = path.split('.');
  const name =
    { cloud: 'Cloud protection', ksn: 'KSN participation', appControl: 'Application control' }[section] ??
    section;
  if (kind === 'own') return `${name} › set here or inherited`;
  if (kind === 'locked') return `${name} › lock`;
  const leaf = rest.filter((r) => r !== 'modules').join(' › ');
  return leaf ? `${name} › ${leaf}` : name;
}

export function sameDraft(a: PolicyDraft, b: PolicyDraft): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
