import { Injectable } from '@nestjs/common';
import type { HeartbeatUnknown, HeartbeatVerdictChange, UnknownObjectPage, VerdictAlertView } from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull, Not, type EntityManager, type FindOptionsWhere } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { sha256 } from '../common/crypto';
import { found, type Paging } from '../common/query';
import { nowIso } from '../database/columns';
import { OverrideEntity } from '../overrides/override.entity';
import { UnknownObject, UnknownObjectDevice } from './unknown-object.entity';
import { VerdictAlert } from './verdict-alert.entity';

/** Unknown objects seen in the network (with prevalence) and verdict-change alerts, from proxy heartbeats. */
@Injectable()
export class UnknownObjectsService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Adds what one heartbeat reported; safe when several instances store beats at once. */
  async ingestUnknown(tx: EntityManager, items: readonly HeartbeatUnknown[]): Promise<void> {
    for (const item of items) {
      const keyHash = sha256(item.key);
      await tx.createQueryBuilder().insert().into(UnknownObject).values({ keyHash, objectKey: item.key, firstSeen: item.firstSeen, lastSeen: item.lastSeen, devices: 0 }).orIgnore().execute();
      await tx.createQueryBuilder().update(UnknownObject).set({ firstSeen: item.firstSeen }).where('keyHash = :keyHash AND firstSeen > :t', { keyHash, t: item.firstSeen }).execute();
      await tx.createQueryBuilder().update(UnknownObject).set({ lastSeen: item.lastSeen }).where('keyHash = :keyHash AND lastSeen < :t', { keyHash, t: item.lastSeen }).execute();
      const devices = [...new Set(item.deviceIds)].map((deviceId) => ({ keyHash, deviceId }));
      await tx.createQueryBuilder().insert().into(UnknownObjectDevice).values(devices).orIgnore().execute();
      const n = await tx.countBy(UnknownObjectDevice, { keyHash });
      await tx.update(UnknownObject, { keyHash }, { devices: n });
    }
  }

  /** One alert per change (key, time, new verdict), however many proxies report it. */
  async ingestChanges(tx: EntityManager, proxyId: string, changes: readonly HeartbeatVerdictChange[]): Promise<void> {
    if (changes.length === 0) return;
    const rows = changes.map((c) => ({
      id: randomUUID(),
      keyHash: sha256(c.key),
      objectKey: c.key,
      fromVerdict: c.from,
      toVerdict: c.to,
      at: c.at,
      proxyId,
      acknowledgedAt: null,
      acknowledgedBy: null,
    }));
    await tx.createQueryBuilder().insert().into(VerdictAlert).values(rows).orIgnore().execute();
  }

  async list(page: Paging): Promise<UnknownObjectPage> {
    const [rows, total] = await this.db.getRepository(UnknownObject).findAndCount({ order: { devices: 'DESC', lastSeen: 'DESC', keyHash: 'ASC' }, take: page.limit, skip: page.offset });
    const overrides = await this.overrideActions(rows.map((r) => r.keyHash));
    return {
      items: rows.map((r) => ({ key: r.objectKey, firstSeen: r.firstSeen, lastSeen: r.lastSeen, devices: r.devices, override: overrides.get(r.keyHash) ?? null })),
      total,
      ...page,
    };
  }

  async alerts(acknowledged: boolean | undefined, page: Paging): Promise<VerdictAlertView[]> {
    const where: FindOptionsWhere<VerdictAlert> = acknowledged === undefined ? {} : { acknowledgedAt: acknowledged ? Not(IsNull()) : IsNull() };
    const rows = await this.db.getRepository(VerdictAlert).find({ where, order: { at: 'DESC', id: 'ASC' }, take: page.limit, skip: page.offset });
    const prevalence = await this.prevalence(rows.map((r) => r.keyHash));
    return rows.map((r) => alertView(r, prevalence.get(r.keyHash) ?? 0));
  }

  countOpenAlerts(): Promise<number> {
    return this.db.getRepository(VerdictAlert).countBy({ acknowledgedAt: IsNull() });
  }

  async acknowledge(actor: string, id: string): Promise<VerdictAlertView> {
    const row = await this.db.transaction(async (tx) => {
      const alert = found(await tx.findOneBy(VerdictAlert, { id }), 'alert');
      if (alert.acknowledgedAt !== null) return alert;
      const acknowledged = { ...alert, acknowledgedAt: nowIso(), acknowledgedBy: actor.slice(0, 100) };
      await tx.update(VerdictAlert, { id }, { acknowledgedAt: acknowledged.acknowledgedAt, acknowledgedBy: acknowledged.acknowledgedBy });
      await this.audit.record(tx, { actor, action: 'alert.acknowledge', objectType: 'alert', objectId: id, before: { acknowledgedAt: null }, after: { acknowledgedAt: acknowledged.acknowledgedAt } });
      return acknowledged;
    });
    return alertView(row, (await this.prevalence([row.keyHash])).get(row.keyHash) ?? 0);
  }

  private async prevalence(keyHashes: string[]): Promise<Map<string, number>> {
    if (keyHashes.length === 0) return new Map();
    const rows = await this.db.getRepository(UnknownObject).createQueryBuilder('u').where('u.keyHash IN (:...keyHashes)', { keyHashes }).getMany();
    return new Map(rows.map((r) => [r.keyHash, r.devices]));
  }

  private async overrideActions(keyHashes: string[]): Promise<Map<string, OverrideEntity['action']>> {
    if (keyHashes.length === 0) return new Map();
    const now = nowIso();
    const rows = await this.db.getRepository(OverrideEntity).createQueryBuilder('o').where('o.keyHash IN (:...keyHashes)', { keyHashes }).getMany();
    return new Map(rows.filter((r) => r.expiresAt === null || r.expiresAt > now).map((r) => [r.keyHash, r.action]));
  }
}

function alertView(r: VerdictAlert, devices: number): VerdictAlertView {
  return { id: r.id, key: r.objectKey, from: r.fromVerdict, to: r.toVerdict, at: r.at, proxyId: r.proxyId, devices, acknowledgedAt: r.acknowledgedAt, acknowledgedBy: r.acknowledgedBy };
}
