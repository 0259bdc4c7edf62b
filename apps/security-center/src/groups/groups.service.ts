import { Injectable } from '@nestjs/common';
import type { CreateGroupRequest, GroupView, UpdateGroupRequest } from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, In, IsNull, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { found } from '../common/query';
import { nowIso } from '../database/columns';
import { Device } from '../devices/device.entity';
import { EnrolmentToken } from '../enrolment/enrolment-token.entity';
import { SnapshotService } from '../snapshot/snapshot.service';
import { AdminGroup } from './group.entity';

export const DEFAULT_GROUP_NAME = 'Managed devices';

/** What the audit log keeps of a group (the policy has its own entries). */
const auditView = (g: AdminGroup) => ({ name: g.name, parentId: g.parentId, version: g.version });

/** Administration groups: a tree with one root; devices belong to exactly one group. */
@Injectable()
export class GroupsService {
  constructor(
    private readonly db: DataSource,
    private readonly snapshots: SnapshotService,
    private readonly audit: AuditService,
  ) {}

  /** The root group devices enrol into by default; created with the built-in policy on first start. */
  async ensureDefaultGroup(): Promise<AdminGroup> {
    const repo = this.db.getRepository(AdminGroup);
    const existing = await repo.findOne({ where: { parentId: IsNull() }, order: { createdAt: 'ASC' } });
    if (existing) return existing;
    const now = nowIso();
    const group = repo.create({
      id: randomUUID(),
      name: DEFAULT_GROUP_NAME,
      parentId: null,
      policy: { locked: [] },
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    await repo.insert(group);
    return group;
  }

  count(): Promise<number> {
    return this.db.getRepository(AdminGroup).count();
  }

  async list(): Promise<GroupView[]> {
    const [groups, counts] = await Promise.all([
      this.db.getRepository(AdminGroup).find({ order: { createdAt: 'ASC', id: 'ASC' } }),
      this.deviceCounts(),
    ]);
    return groups.map((g) => toView(g, counts.get(g.id) ?? 0));
  }

  async get(id: string): Promise<GroupView> {
    const group = found(await this.db.getRepository(AdminGroup).findOneBy({ id }), 'group');
    // The stored id: on MySQL the lookup ignores letter case.
    return toView(group, (await this.deviceCounts([group.id])).get(group.id) ?? 0);
  }

  async create(actor: string, req: CreateGroupRequest): Promise<GroupView> {
    const group = await this.db.transaction(async (tx) => {
      await lockTree(tx);
      const parent = found(await tx.findOneBy(AdminGroup, { id: req.parentId }), 'parent group', 'parentId');
      const now = nowIso();
      const g: AdminGroup = {
        id: randomUUID(),
        name: req.name,
        // The stored id, not the request's spelling (MySQL matched it ignoring letter case).
        parentId: parent.id,
        policy: { locked: [] },
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      await tx.insert(AdminGroup, g);
      await this.audit.record(tx, {
        actor,
        action: 'group.create',
        objectType: 'group',
        objectId: g.id,
        after: auditView(g),
      });
      await this.snapshots.bump(tx);
      return g;
    });
    return toView(group, 0);
  }

  /** Rename and/or move. A stale version is a 409; moving under its own subtree a 400. */
  async update(actor: string, id: string, req: UpdateGroupRequest): Promise<GroupView> {
    const groupId = await this.db.transaction(async (tx) => {
      await lockTree(tx);
      const group = found(await tx.findOneBy(AdminGroup, { id }), 'group');
      // Resolve the new parent to its stored id: MySQL matches ids ignoring letter case.
      let parentId: string | undefined;
      if (req.parentId !== undefined) {
        if (req.parentId === group.parentId) parentId = group.parentId;
        else if (group.parentId === null)
          throw new ApiError('invalid_request', 'the root group cannot be moved', 'parentId');
        else
          parentId = found(
            await tx.findOneBy(AdminGroup, { id: req.parentId }),
            'parent group',
            'parentId',
          ).id;
      }
      const moved = parentId !== undefined && parentId !== group.parentId;
      if (moved && (await this.subtreeIds(tx, group.id)).includes(parentId!))
        throw new ApiError(
          'invalid_request',
          'a group cannot move under itself or its subgroups',
          'parentId',
        );
      const changes = {
        ...(req.name !== undefined && { name: req.name }),
        ...(parentId !== undefined && { parentId }),
      };
      await this.bumpVersion(tx, group.id, req.version, changes);
      const after = { ...group, ...changes, version: group.version + 1 };
      await this.audit.record(tx, {
        actor,
        action: moved ? 'group.move' : 'group.update',
        objectType: 'group',
        objectId: group.id,
        before: auditView(group),
        after: auditView(after),
      });
      await this.snapshots.bump(tx);
      return group.id;
    });
    return this.get(groupId);
  }

  /**
   * Deletes a group. Without `cascade` it must be empty (no subgroups, no devices): else 409.
   * With `cascade` its whole subtree goes; the devices in it are revoked (proxies refuse them
   * at the next snapshot) and kept, for the record, in the deleted group's parent.
   */
  async delete(actor: string, id: string, cascade: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      await lockTree(tx);
      const group = found(await tx.findOneBy(AdminGroup, { id }), 'group');
      if (group.parentId === null) throw new ApiError('conflict', 'the root group cannot be deleted');
      // The stored id: the children's parentId matches it exactly, the request's spelling may not.
      const subtree = await this.subtreeIds(tx, group.id);
      const devices = await tx.countBy(Device, { groupId: In(subtree) });
      if (!cascade && (subtree.length > 1 || devices > 0)) {
        throw new ApiError(
          'conflict',
          `group is not empty (${subtree.length - 1} subgroups, ${devices} devices); delete with ?cascade=true`,
        );
      }
      const now = nowIso();
      if (devices > 0) {
        await tx.update(Device, { groupId: In(subtree), revokedAt: IsNull() }, { revokedAt: now });
        await tx.update(Device, { groupId: In(subtree) }, { groupId: group.parentId, groupChangedAt: now });
      }
      await tx.delete(EnrolmentToken, { groupId: In(subtree) });
      // Children first is not needed (no foreign keys), but keep the tree valid at every step anyway.
      await tx.delete(AdminGroup, { id: In(subtree) });
      await this.audit.record(tx, {
        actor,
        action: 'group.delete',
        objectType: 'group',
        objectId: group.id,
        before: { ...auditView(group), subgroups: subtree.length - 1, devices },
        after: cascade ? { cascade: true, revokedDevices: devices } : null,
      });
      await this.snapshots.bump(tx);
    });
  }

  /** Optimistic concurrency: the update applies only to the version the caller read. */
  async bumpVersion(
    tx: EntityManager,
    id: string,
    version: number,
    changes: Partial<AdminGroup>,
  ): Promise<void> {
    const result = await tx
      .createQueryBuilder()
      .update(AdminGroup)
      .set({ ...changes, version: () => 'version + 1', updatedAt: nowIso() })
      .where('id = :id AND version = :version', { id, version })
      .execute();
    if ((result.affected ?? 0) === 0) {
      const current = await tx.findOneBy(AdminGroup, { id });
      if (!current) throw new ApiError('not_found', 'group not found');
      throw new ApiError(
        'conflict',
        `the group was changed by someone else (version ${current.version}, you sent ${version}); reload and retry`,
        'version',
      );
    }
  }

  /** The group and all its descendants. */
  async subtreeIds(tx: EntityManager, id: string): Promise<string[]> {
    const all = await tx.find(AdminGroup, { select: ['id', 'parentId'] });
    const children = new Map<string, string[]>();
    for (const g of all)
      if (g.parentId !== null) children.set(g.parentId, [...(children.get(g.parentId) ?? []), g.id]);
    const out: string[] = [];
    const stack = [id];
    while (stack.length > 0) {
      const next = stack.pop()!;
      out.push(next);
      stack.push(...(children.get(next) ?? []));
    }
    return out;
  }

  private async deviceCounts(ids?: string[]): Promise<Map<string, number>> {
    const qb = this.db
      .getRepository(Device)
      .createQueryBuilder('d')
      .select('d.groupId', 'groupId')
      .addSelect('COUNT(*)', 'n')
      .groupBy('d.groupId');
    if (ids) qb.where('d.groupId IN (:...ids)', { ids });
    const rows = await qb.getRawMany<{ groupId: string; n: string | number }>();
    return new Map(rows.map((r) => [r.groupId, Number(r.n)]));
  }
}

/**
 * Serialises, across instances, every write whose checks read the group tree: a group's
 * create, move and delete, a device move, an enrolment token's creation and a policy update
 * (locks of ancestors, rule ids unique across groups). Each takes a write lock on the root
 * group row as the first statement of its transaction, so its checks (group exists, no cycle,
 * group empty, …) read the tree as the previous change committed it and stay true until it
 * commits. Must come first: on MySQL a plain read before it would fix the transaction's
 * snapshot at an older tree. SQLite has one writer at a time already.
 */
export async function lockTree(tx: EntityManager): Promise<void> {
  if (tx.connection.options.type === 'better-sqlite3') return;
  await tx
    .createQueryBuilder(AdminGroup, 'g')
    .select('g.id')
    .where('g.parentId IS NULL')
    .setLock('pessimistic_write')
    .getMany();
}

function toView(g: AdminGroup, deviceCount: number): GroupView {
  return {
    id: g.id,
    name: g.name,
    parentId: g.parentId,
    version: g.version,
    deviceCount,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
  };
}
