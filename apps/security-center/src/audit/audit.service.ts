import { Injectable } from '@nestjs/common';
import type { AuditEntryView, AuditPage } from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { Paging } from '../common/query';
import { nowIso } from '../database/columns';
import { AuditEntry } from './audit-entry.entity';

export interface AuditRecord {
  actor: string;
  action: string;
  objectType: string;
  objectId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditFilter {
  actor?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** The append-only audit log: every service writes its change here in the change's own transaction. */
@Injectable()
export class AuditService {
  constructor(private readonly db: DataSource) {}

  async record(tx: EntityManager, r: AuditRecord): Promise<void> {
    await tx.insert(AuditEntry, {
      id: randomUUID(),
      at: nowIso(),
      actor: r.actor.slice(0, 120),
      action: r.action,
      objectType: r.objectType,
      objectId: r.objectId.slice(0, 100),
      // JSON values; primitives are wrapped so the column always holds an object.
      before: asJson(r.before),
      after: asJson(r.after),
    });
  }

  async list(filter: AuditFilter, page: Paging): Promise<AuditPage> {
    const qb = this.db.getRepository(AuditEntry).createQueryBuilder('a');
    if (filter.actor !== undefined) qb.andWhere('a.actor = :actor', { actor: filter.actor });
    if (filter.objectType !== undefined)
      qb.andWhere('a.objectType = :objectType', { objectType: filter.objectType });
    if (filter.objectId !== undefined) qb.andWhere('a.objectId = :objectId', { objectId: filter.objectId });
    if (filter.from !== undefined) qb.andWhere('a.at >= :from', { from: filter.from });
    if (filter.to !== undefined) qb.andWhere('a.at < :to', { to: filter.to });
    const [rows, total] = await qb
      .orderBy('a.at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(page.limit)
      .skip(page.offset)
      .getManyAndCount();
    return { items: rows.map(toView), total, ...page };
  }
}

function asJson(v: unknown): object | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'object' ? v : { value: v };
}

function toView(e: AuditEntry): AuditEntryView {
  return {
    id: e.id,
    at: e.at,
    actor: e.actor,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    before: e.before ?? null,
    after: e.after ?? null,
  };
}
