import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButton } from '@angular/material/button';
import type { CategoriesView, GroupPolicyView, GroupView, RuleHitView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage } from '../../core/http/api-error';
import { CATEGORIES_URL, GroupsApi } from '../../shared/groups.api';
import { formatInstant } from '../../shared/list';
import { describeMatch } from '../policies/rule-form';
import { categoryRows, ruleUses, type RuleUse } from './category-usage';

export const RULE_HITS_URL = '/api/v1/rules/hits';

/** The application category tree, the rules that use each category, and their hit counts (unused rules flagged). */
@Component({
  selector: 'ksn-categories-page',
  imports: [MatButton],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './categories.page.html',
})
export class CategoriesPage {
  private readonly http = inject(HttpClient);
  private readonly groupsApi = inject(GroupsApi);
  protected readonly isAdmin = inject(SessionService).isAdmin;
  protected readonly formatInstant = formatInstant;
  protected readonly describeMatch = describeMatch;

  protected readonly view = signal<CategoriesView | null>(null);
  protected readonly uses = signal<RuleUse[]>([]);
  protected readonly error = signal<string | null>(null);
  protected readonly rows = computed(() => categoryRows(this.view()?.categories ?? [], this.uses()));
  protected readonly unused = computed(() => this.uses().filter((u) => u.unused));
  protected readonly syncing = signal(false);

  constructor() {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const [view, groups, hits] = await Promise.all([
        firstValueFrom(this.http.get<CategoriesView>(CATEGORIES_URL)),
        firstValueFrom(this.groupsApi.list()),
        firstValueFrom(this.http.get<RuleHitView[]>(RULE_HITS_URL)),
      ]);
      const policies = await Promise.all(
        groups.map((g: GroupView) => firstValueFrom(this.groupsApi.policy(g.id))),
      );
      this.view.set(view);
      this.uses.set(ruleUses(groups, policies as GroupPolicyView[], hits));
      this.error.set(null);
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    }
  }

  protected async sync(): Promise<void> {
    this.syncing.set(true);
    try {
      this.view.set(await firstValueFrom(this.http.post<CategoriesView>(`${CATEGORIES_URL}/sync`, {})));
    } catch (err) {
      this.error.set(apiErrorMessage(err));
    } finally {
      this.syncing.set(false);
    }
  }
}
