import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButton } from '@angular/material/button';
import { RouterLink } from '@angular/router';
import type { GroupView } from '@ksn/contracts';
import { firstValueFrom } from 'rxjs';
import { SessionService } from '../../core/auth/session.service';
import { apiErrorMessage, errorStatus, placeError } from '../../core/http/api-error';
import { groupPath, subtreeIds, treeRows, type TreeRow } from '../../shared/group-tree';
import { GroupsApi } from '../../shared/groups.api';
import { DevicesPanelComponent } from './devices-panel.component';
import { TokensPanelComponent } from './tokens-panel.component';

/** Validates a group name the way the API does (1–200 characters, not only spaces). */
export function groupNameError(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Enter a name.';
  return trimmed.length > 200 ? 'At most 200 characters.' : null;
}

/** The group tree: create, rename, move, delete; the selected group's enrolment tokens and devices. */
@Component({
  selector: 'ksn-groups-page',
  imports: [FormsModule, MatButton, RouterLink, DevicesPanelComponent, TokensPanelComponent],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './groups.page.html',
  styleUrl: './groups.page.scss',
})
export class GroupsPage {
  private readonly api = inject(GroupsApi);
  protected readonly canWrite = inject(SessionService).canWrite;

  protected readonly groups = signal<GroupView[]>([]);
  protected readonly rows = computed(() => treeRows(this.groups()));
  protected readonly selectedId = signal<string | null>(null);
  protected readonly selected = computed((): GroupView | null => {
    const first: TreeRow | undefined = this.rows()[0];
    return this.groups().find((g) => g.id === this.selectedId()) ?? first?.group ?? null;
  });
  protected readonly path = computed(() => {
    const g = this.selected();
    return g ? groupPath(this.groups(), g.id) : '';
  });
  /** Where the selected group may move: anywhere but itself and below. */
  protected readonly moveTargets = computed(() => {
    const g = this.selected();
    if (!g) return [];
    const blocked = subtreeIds(this.groups(), g.id);
    return this.rows().filter((r) => !blocked.has(r.group.id));
  });

  protected readonly loadError = signal<string | null>(null);
  protected readonly message = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);

  protected newName = '';
  protected readonly newNameError = signal<string | null>(null);
  protected rename = '';
  protected readonly renameError = signal<string | null>(null);
  protected moveTo = '';
  protected cascade = false;

  constructor() {
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.groups.set(await firstValueFrom(this.api.list()));
      this.loadError.set(null);
      this.syncForms();
    } catch (err) {
      this.loadError.set(apiErrorMessage(err));
    }
  }

  protected select(group: GroupView): void {
    this.selectedId.set(group.id);
    this.message.set(null);
    this.error.set(null);
    this.syncForms();
  }

  private syncForms(): void {
    const g = this.selected();
    this.rename = g?.name ?? '';
    this.moveTo = g?.parentId ?? '';
    this.cascade = false;
    this.renameError.set(null);
    this.newNameError.set(null);
  }

  protected async create(): Promise<void> {
    const parent = this.selected();
    const problem = groupNameError(this.newName);
    this.newNameError.set(problem);
    if (problem || !parent) return;
    await this.run(async () => {
      const created = await firstValueFrom(
        this.api.create({ name: this.newName.trim(), parentId: parent.id }),
      );
      this.newName = '';
      this.selectedId.set(created.id);
      return `Created ${created.name} under ${parent.name}.`;
    }, this.newNameError);
  }

  protected async saveName(): Promise<void> {
    const g = this.selected();
    const problem = groupNameError(this.rename);
    this.renameError.set(problem);
    if (problem || !g) return;
    await this.run(async () => {
      const saved = await firstValueFrom(
        this.api.update(g.id, { version: g.version, name: this.rename.trim() }),
      );
      return `Renamed to ${saved.name}.`;
    }, this.renameError);
  }

  protected async move(): Promise<void> {
    const g = this.selected();
    if (!g || !this.moveTo || this.moveTo === g.parentId) return;
    const target = this.groups().find((x) => x.id === this.moveTo);
    await this.run(async () => {
      await firstValueFrom(this.api.update(g.id, { version: g.version, parentId: this.moveTo }));
      return `Moved ${g.name} under ${target?.name ?? 'the chosen group'}.`;
    });
  }

  protected async remove(): Promise<void> {
    const g = this.selected();
    if (!g) return;
    await this.run(async () => {
      await firstValueFrom(this.api.remove(g.id, this.cascade));
      this.selectedId.set(g.parentId);
      return `Deleted ${g.name}${this.cascade ? ' and everything under it' : ''}.`;
    });
  }

  /** Runs a change, reloads the tree, and puts a failure where it belongs. */
  private async run(
    change: () => Promise<string>,
    fieldError?: { set(v: string | null): void },
  ): Promise<void> {
    this.message.set(null);
    this.error.set(null);
    try {
      const done = await change();
      await this.load();
      this.message.set(done);
    } catch (err) {
      const placed = placeError(err);
      if (errorStatus(err) === 409) {
        this.error.set(`${placed.message} The tree was reloaded; check and try again.`);
        await this.load();
      } else if (fieldError && placed.field === 'name') fieldError.set(placed.message);
      else this.error.set(placed.message);
    }
  }
}
