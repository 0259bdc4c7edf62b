import { Injectable } from '@nestjs/common';
import {
  hashKey,
  hashKind,
  urlKey,
  type CreateOverrideRequest,
  type OverrideView,
  type SnapshotOverride,
} from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { sha256 } from '../common/crypto';
import { found } from '../common/query';
import { nowIso } from '../database/columns';
import { SnapshotService } from '../snapshot/snapshot.service';
import { OverrideEntity } from './override.entity';

/** The object key of an override request: exactly one of hash or url. */
export function overrideKey(req: Pick<CreateOverrideRequest, 'hash' | 'url'>): string {
  if ((req.hash === undefined) === (req.url === undefined))
    throw new ApiError(
      'invalid_request',
      'give exactly one of hash or url',
      req.hash === undefined ? 'hash' : 'url',
    );
  if (req.hash !== undefined) {
    const kind = hashKind(req.hash);
    if (!kind) throw new ApiError('invalid_request', 'hash must be a SHA-256, SHA-1 or MD5 in hex', 'hash');
    return hashKey(kind, req.hash);
  }
  const key = urlKey(req.url!);
  if (key === undefined) throw new ApiError('invalid_request', 'url must be an absolute http(s) URL', 'url');
  return key;
}

/** Admin allow/block decisions by hash or URL; compiled into the snapshot. */
@Injectable()
export class OverridesService {
  constructor(
    private readonly db: DataSource,
    private readonly snapshots: SnapshotService,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<OverrideView[]> {
    const rows = await this.db
      .getRepository(OverrideEntity)
      .find({ order: { createdAt: 'DESC', id: 'ASC' } });
    return rows.map(toView);
  }

  async create(actor: string, req: CreateOverrideRequest): Promise<OverrideView> {
    const key = overrideKey(req);
    if (req.expiresAt !== undefined && Date.parse(req.expiresAt) <= Date.now())
      throw new ApiError('invalid_request', 'expiresAt is in the past', 'expiresAt');
    const row: OverrideEntity = {
      id: randomUUID(),
      keyHash: sha256(key),
      objectKey: key,
      action: req.action,
      comment: req.comment,
      author: actor.slice(0, 100),
      createdAt: nowIso(),
      expiresAt: req.expiresAt === undefined ? null : new Date(req.expiresAt).toISOString(),
    };
    await this.db.transaction(async (tx) => {
      const existing = await tx.findOneBy(OverrideEntity, { keyHash: row.keyHash });
      if (existing)
        throw new ApiError(
          'conflict',
          `an override for ${key} exists already (id ${existing.id}); delete it first`,
          req.hash === undefined ? 'url' : 'hash',
        );
      await tx.insert(OverrideEntity, row);
      await this.audit.record(tx, {
        actor,
        action: 'override.create',
        objectType: 'override',
        objectId: row.id,
        after: toView(row),
      });
      await this.snapshots.bump(tx);
    });
    return toView(row);
  }

  async delete(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = found(await tx.findOneBy(OverrideEntity, { id }), 'override');
      await tx.delete(OverrideEntity, { id });
      await this.audit.record(tx, {
        actor,
        action: 'override.delete',
        objectType: 'override',
        objectId: id,
        before: toView(row),
      });
      await this.snapshots.bump(tx);
    });
  }

  /** Overrides still in force, for the snapshot. */
  async active(now = nowIso()): Promise<SnapshotOverride[]> {
    const rows = await this.db
      .getRepository(OverrideEntity)
      .find({ where: [{ expiresAt: IsNull() }, { expiresAt: MoreThan(now) }], order: { keyHash: 'ASC' } });
    return rows.map((r) => ({
      key: r.objectKey,
      action: r.action,
      ...(r.expiresAt !== null && { expiresAt: r.expiresAt }),
    }));
  }

  /** The override decision per key, for the keys given. */
  async actionsFor(keyHashes: string[]): Promise<Map<string, OverrideView['action']>> {
    if (keyHashes.length === 0) return new Map();
    const now = nowIso();
    const rows = await this.db
      .getRepository(OverrideEntity)
      .createQueryBuilder('o')
      .where('o.keyHash IN (:...keyHashes)', { keyHashes })
      .getMany();
    return new Map(
      rows.filter((r) => r.expiresAt === null || r.expiresAt > now).map((r) => [r.keyHash, r.action]),
    );
  }
}

function toView(r: OverrideEntity): OverrideView {
  return {
    id: r.id,
    key: r.objectKey,
    action: r.action,
    comment: r.comment,
    author: r.author,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
  };
}
