import {
  ChangeDetectionStrategy,
  Component,
  InjectionToken,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { NgTemplateOutlet } from '@angular/common';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import type { GroupPolicyView, GroupView, ModuleId, SectionName } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, errorStatus } from '../../core/http/api-error';
import { categoryPaths, groupPath, treeRows } from '../../shared/group-tree';
import { GroupsApi } from '../../shared/groups.api';
import {
  describePath,
  draftFromView,
  lockedByParent,
  mergeDrafts,
  policyInput,
  provenanceLabel,
  sameDraft,
  takeTheirs,
  type MergeConflict,
  type PolicyDraft,
} from './policy-draft';
import {
  EMPTY_RULE,
  MODULE_IDS,
  MODULE_LABELS,
  SENDING_KINDS,
  describeMatch,
  moveItem,
  ruleFromForm,
  ruleValueError,
  type RuleFormValue,
} from './rule-form';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Asks the user a yes/no question (the browser's confirm; a token so tests can answer). */
export const CONFIRM = new InjectionToken<(question: string) => boolean>('CONFIRM', {
  factory: () => (question: string) => window.confirm(question),
});
export const DISCARD_QUESTION = 'This policy has unsaved changes. Leave and discard them?';

/**
 * The policy editor of one group: per section, set here or inherit, lock for subgroups, and
 * the values with where each comes from. Saving sends the version read; on 409 the page loads
 * the newer policy, merges it with the user's edits and shows what needs a decision.
 */
@Component({
  selector: 'ksn-policies-page',
  imports: [FormsModule, MatButton, NgTemplateOutlet, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './policies.page.html',
  styleUrl: './policies.page.scss',
})
export class PoliciesPage {
  private readonly api = inject(GroupsApi);
  private readonly confirm = inject(CONFIRM);
  protected readonly canWrite = inject(SessionService).canWrite;
  /** From the route (`/policies/:groupId`). */
  readonly groupId = input<string>();

  protected readonly modules = MODULE_IDS;
  protected readonly moduleLabels = MODULE_LABELS;
  protected readonly sendingKinds = SENDING_KINDS;
  protected readonly describeMatch = describeMatch;
  protected readonly describePath = describePath;

  protected readonly groups = signal<GroupView[]>([]);
  protected readonly rows = computed(() => treeRows(this.groups()));
  protected readonly categories = signal<string[]>([]);
  protected readonly selectedId = computed(() => this.groupId() ?? this.rows()[0]?.group.id);
  protected readonly title = computed(() => {
    const id = this.selectedId();
    return id ? groupPath(this.groups(), id) : '';
  });

  /** What the server sent last (the version to save against). */
  protected readonly view = signal<GroupPolicyView | null>(null);
  /** The draft as loaded: the common ancestor for a merge. */
  private readonly base = signal<PolicyDraft | null>(null);
  protected readonly draft = signal<PolicyDraft | null>(null);
  protected readonly dirty = computed(() => {
    const [b, d] = [this.base(), this.draft()];
    return b !== null && d !== null && !sameDraft(b, d);
  });

  protected readonly loadError = signal<string | null>(null);
  protected readonly saveError = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  protected readonly saving = signal(false);
  protected readonly conflicts = signal<readonly MergeConflict[]>([]);
  protected readonly mergedNote = signal<string | null>(null);

  protected rule: RuleFormValue = { ...EMPTY_RULE };
  protected readonly ruleError = signal<string | null>(null);

  constructor() {
    void this.loadGroups();
    effect(() => {
      const id = this.selectedId();
      if (id) untracked(() => void this.loadPolicy(id));
    });
  }

  private async loadGroups(): Promise<void> {
    try {
      this.groups.set(await firstValueFrom(this.api.list()));
    } catch (err) {
      this.loadError.set(apiErrorMessage(err));
    }
    try {
      this.categories.set(categoryPaths((await firstValueFrom(this.api.categories())).categories));
    } catch {
      // The picker falls back to typing a path.
    }
  }

  private async loadPolicy(id: string): Promise<void> {
    this.notice.set(null);
    this.saveError.set(null);
    this.conflicts.set([]);
    this.mergedNote.set(null);
    try {
      this.accept(await firstValueFrom(this.api.policy(id)));
      this.loadError.set(null);
    } catch (err) {
      this.view.set(null);
      this.loadError.set(apiErrorMessage(err));
    }
  }

  private accept(view: GroupPolicyView): void {
    this.view.set(view);
    const draft = draftFromView(view);
    this.base.set(draft);
    this.draft.set(clone(draft));
  }

  /** Unsaved work is never dropped silently: leaving the page or the group asks first. */
  canLeave(): boolean {
    return !this.dirty() || this.confirm(DISCARD_QUESTION);
  }

  // ─── Reading the draft in the template ───

  protected readOnly(section: SectionName): boolean {
    const view = this.view();
    return !this.canWrite() || view === null || lockedByParent(view, section) !== null;
  }

  protected valueDisabled(section: SectionName): boolean {
    return this.readOnly(section) || !this.draft()?.[section].own;
  }

  protected isOwn(section: SectionName): boolean {
    return this.draft()?.[section].own ?? false;
  }

  protected isLocked(section: SectionName): boolean {
    return this.draft()?.[section].locked ?? false;
  }

  protected lockedBy(section: SectionName): string | null {
    const view = this.view();
    return view ? (lockedByParent(view, section)?.name ?? null) : null;
  }

  protected source(path: string): string {
    const [d, v] = [this.draft(), this.view()];
    return d && v ? provenanceLabel(d, v.effective.settingSources, path) : '';
  }

  // ─── Editing ───

  private patch(change: (d: PolicyDraft) => void): void {
    this.draft.update((d) => {
      if (!d) return d;
      const next = clone(d);
      change(next);
      return next;
    });
    this.notice.set(null);
  }

  protected setOwn(section: SectionName, own: boolean): void {
    this.patch((d) => {
      d[section].own = own;
      // Back to inheriting: show the inherited values again.
      if (!own) {
        const view = this.view();
        if (view) (d[section] as { value: unknown }).value = clone(view.effective.settings[section]);
      }
    });
  }

  protected setLocked(section: SectionName, locked: boolean): void {
    this.patch((d) => (d[section].locked = locked));
  }

  protected setModule(m: ModuleId, on: boolean): void {
    this.patch((d) => (d.cloud.value.modules[m] = on));
  }

  protected setParticipation(value: string): void {
    if (value === 'extended' || value === 'basic' || value === 'off')
      this.patch((d) => (d.ksn.value.participation = value));
  }

  protected setSending(kind: 'statistics' | 'detectedObjects' | 'urls', on: boolean): void {
    this.patch((d) => (d.ksn.value.sending[kind] = on));
  }

  protected setMode(value: string): void {
    if (value === 'default-allow' || value === 'default-deny')
      this.patch((d) => (d.appControl.value.mode = value));
  }

  protected setTestMode(on: boolean): void {
    this.patch((d) => (d.appControl.value.testMode = on));
  }

  protected setRuleStatus(index: number, value: string): void {
    if (value === 'on' || value === 'off' || value === 'test')
      this.patch((d) => (d.appControl.value.rules[index].status = value));
  }

  protected moveRule(index: number, step: -1 | 1): void {
    this.patch((d) => (d.appControl.value.rules = moveItem(d.appControl.value.rules, index, step)));
  }

  protected removeRule(index: number): void {
    this.patch((d) => d.appControl.value.rules.splice(index, 1));
  }

  protected addRule(): void {
    const error = ruleValueError(this.rule);
    this.ruleError.set(error);
    if (error) return;
    const rule = ruleFromForm(this.rule);
    this.patch((d) => d.appControl.value.rules.push(rule));
    this.rule = { ...EMPTY_RULE, kind: this.rule.kind, action: this.rule.action };
  }

  protected discard(): void {
    const base = this.base();
    if (base) this.draft.set(clone(base));
    this.conflicts.set([]);
    this.mergedNote.set(null);
    this.saveError.set(null);
  }

  protected resolveTheirs(conflict: MergeConflict): void {
    const d = this.draft();
    if (!d) return;
    this.draft.set(takeTheirs(d, conflict));
    this.conflicts.update((list) => list.filter((c) => c !== conflict));
  }

  protected keepMine(conflict: MergeConflict): void {
    this.conflicts.update((list) => list.filter((c) => c !== conflict));
  }

  async save(): Promise<void> {
    const [view, draft, id] = [this.view(), this.draft(), this.selectedId()];
    if (!view || !draft || !id) return;
    this.saving.set(true);
    this.saveError.set(null);
    this.notice.set(null);
    try {
      const saved = await firstValueFrom(
        this.api.savePolicy(id, { version: view.version, policy: policyInput(draft) }),
      );
      this.accept(saved);
      this.conflicts.set([]);
      this.mergedNote.set(null);
      this.notice.set(`Saved (version ${saved.version}). Proxies get the change with their next snapshot.`);
    } catch (err) {
      if (errorStatus(err) === 409) await this.mergeNewer(id, draft);
      else this.saveError.set(apiErrorMessage(err));
    } finally {
      this.saving.set(false);
    }
  }

  /** Someone saved this policy meanwhile: load theirs, merge mine into it, save nothing yet. */
  private async mergeNewer(id: string, mine: PolicyDraft): Promise<void> {
    const base = this.base();
    try {
      const latest = await firstValueFrom(this.api.policy(id));
      const theirs = draftFromView(latest);
      const result = mergeDrafts(base ?? theirs, mine, theirs);
      this.view.set(latest);
      this.base.set(theirs);
      this.draft.set(result.merged);
      this.conflicts.set(result.conflicts);
      this.mergedNote.set(
        `Someone else saved this policy (now version ${latest.version}) while you were editing. ` +
          (result.takenFromTheirs.length
            ? `Their changes to ${result.takenFromTheirs.map(describePath).join(', ')} were merged in. `
            : '') +
          'Your changes are kept' +
          (result.conflicts.length ? '; where you both changed the same setting, choose below. ' : '. ') +
          'Review, then save again.',
      );
    } catch (err) {
      this.saveError.set(
        `Someone else changed this policy, and loading their version failed: ${apiErrorMessage(err)}`,
      );
    }
  }

  protected show(value: unknown): string {
    if (typeof value === 'boolean') return value ? 'on' : 'off';
    if (Array.isArray(value)) return `${value.length} rule${value.length === 1 ? '' : 's'}`;
    return value === undefined ? '(not set)' : String(value);
  }
}
