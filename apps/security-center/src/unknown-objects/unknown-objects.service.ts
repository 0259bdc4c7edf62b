import { Injectable } from '@nestjs/common';
import type {
  HeartbeatUnknown,
  HeartbeatVerdictChange,
  UnknownObjectPage,
  VerdictAlertView,
} from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import {
  DataSource,
  IsNull,
  Not,
  type EntityManager,
  type EntityTarget,
  type FindOptionsWhere,
  type ObjectLiteral,
} from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { sha256 } from '../common/crypto';
import { found, type Paging } from '../common/query';
import { nowIso } from '../database/columns';
import { OverrideEntity } from '../overrides/override.entity';
import { UnknownObject } from './unknown-object.entity';
import { VerdictAlert } from './verdict-alert.entity';

/** Objects per statement when storing a heartbeat, and (object, device) pairs per insert. */
const CHUNK = 200;
const PAIR_CHUNK = 2000;

/** Unknown objects seen in the network (with prevalence) and verdict-change alerts, from proxy heartbeats. */
@Injectable()
export class UnknownObjectsService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * Adds what one heartbeat reported, in a bounded number of statements (chunks of
   * CHUNK objects): insert-if-absent, widen first/last seen, add (object, device) pairs,
   * recount prevalence. Safe when several instances store beats at once.
   */
  async ingestUnknown(tx: EntityManager, items: readonly HeartbeatUnknown[]): Promise<void> {
    const merged = new Map<
      string,
      { key: string; firstSeen: string; lastSeen: string; devices: Set<string> }
    >();
    for (const item of items) {
      const keyHash = sha256(item.key);
      const m = merged.get(keyHash);
      if (!m)
        merged.set(keyHash, {
          key: item.key,
          firstSeen: item.firstSeen,
          lastSeen: item.lastSeen,
          devices: new Set(item.deviceIds),
        });
      else {
        if (item.firstSeen < m.firstSeen) m.firstSeen = item.firstSeen;
        if (item.lastSeen > m.lastSeen) m.lastSeen = item.lastSeen;
        for (const d of item.deviceIds) m.devices.add(d);
      }
    }
    const esc = (name: string) => tx.connection.driver.escape(name);
    // One order for every beat: concurrent beats lock the rows they share in the same order.
    const entries = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk = entries.slice(i, i + CHUNK);
      const hashes = chunk.map(([h]) => h);
      // Insert or widen the seen interval in one statement (insert-then-update deadlocks on InnoDB).
      await upsertRows(
        tx,
        UnknownObject,
        ['keyHash'],
        chunk.map(([keyHash, m]) => ({
          keyHash,
          objectKey: m.key,
          firstSeen: m.firstSeen,
          lastSeen: m.lastSeen,
          devices: 0,
        })),
        {
          firstSeen: (cur, inc, fn) => `${fn.least}(${cur}, ${inc})`,
          lastSeen: (cur, inc, fn) => `${fn.greatest}(${cur}, ${inc})`,
        },
      );
      const marks = hashes.map(() => '?').join(', ');
      const kh = esc('keyHash');
      // Raw multi-row insert: the query builder's per-row work dominates at 100,000 pairs.
      const pairs = chunk.flatMap(([keyHash, m]) =>
        [...m.devices].sort().map((deviceId) => [keyHash, deviceId]),
      );
      const ignore = tx.connection.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
      for (let j = 0; j < pairs.length; j += PAIR_CHUNK) {
        const part = pairs.slice(j, j + PAIR_CHUNK);
        await tx.query(
          `${ignore} INTO ${esc('unknown_object_devices')} (${kh}, ${esc('deviceId')}) VALUES ${part.map(() => '(?, ?)').join(', ')}`,
          part.flat(),
        );
      }
      const t = esc('unknown_objects');
      const d = esc('unknown_object_devices');
      await tx.query(
        `UPDATE ${t} SET ${esc('devices')} = (SELECT COUNT(*) FROM ${d} WHERE ${d}.${kh} = ${t}.${kh}) WHERE ${kh} IN (${marks})`,
        hashes,
      );
    }
  }

  /** One alert per change (key, time, new verdict), however many proxies report it. */
  async ingestChanges(
    tx: EntityManager,
    proxyId: string,
    changes: readonly HeartbeatVerdictChange[],
  ): Promise<void> {
    if (changes.length === 0) return;
    const rows = [...changes].sort(byChange).map((c) => ({
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
    const [rows, total] = await this.db.getRepository(UnknownObject).findAndCount({
      order: { devices: 'DESC', lastSeen: 'DESC', keyHash: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
    const overrides = await this.overrideActions(rows.map((r) => r.keyHash));
    return {
      items: rows.map((r) => ({
        key: r.objectKey,
        firstSeen: r.firstSeen,
        lastSeen: r.lastSeen,
        devices: r.devices,
        override: overrides.get(r.keyHash) ?? null,
      })),
      total,
      ...page,
    };
  }

  async alerts(acknowledged: boolean | undefined, page: Paging): Promise<VerdictAlertView[]> {
    const where: FindOptionsWhere<VerdictAlert> =
      acknowledged === undefined ? {} : { acknowledgedAt: acknowledged ? Not(IsNull()) : IsNull() };
    const rows = await this.db
      .getRepository(VerdictAlert)
      .find({ where, order: { at: 'DESC', id: 'ASC' }, take: page.limit, skip: page.offset });
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
      await tx.update(
        VerdictAlert,
        { id },
        { acknowledgedAt: acknowledged.acknowledgedAt, acknowledgedBy: acknowledged.acknowledgedBy },
      );
      await this.audit.record(tx, {
        actor,
        action: 'alert.acknowledge',
        objectType: 'alert',
        objectId: id,
        before: { acknowledgedAt: null },
        after: { acknowledgedAt: acknowledged.acknowledgedAt },
      });
      return acknowledged;
    });
    return alertView(row, (await this.prevalence([row.keyHash])).get(row.keyHash) ?? 0);
  }

  private async prevalence(keyHashes: string[]): Promise<Map<string, number>> {
    if (keyHashes.length === 0) return new Map();
    const rows = await this.db
      .getRepository(UnknownObject)
      .createQueryBuilder('u')
      .where('u.keyHash IN (:...keyHashes)', { keyHashes })
      .getMany();
    return new Map(rows.map((r) => [r.keyHash, r.devices]));
  }

  private async overrideActions(keyHashes: string[]): Promise<Map<string, OverrideEntity['action']>> {
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

/** A stable order for verdict changes (concurrent beats then lock shared rows in the same order). */
function byChange(a: HeartbeatVerdictChange, b: HeartbeatVerdictChange): number {
  const ka = `${a.key}\n${a.at}\n${a.to}`;
  const kb = `${b.key}\n${b.at}\n${b.to}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** SQL for an update expression: the stored value, the value the insert brought, engine functions. */
export type UpsertUpdate = (
  current: string,
  incoming: string,
  fn: { least: string; greatest: string },
) => string;

/**
 * Inserts rows, or updates the ones whose key exists, in one statement per call:
 * `INSERT … ON CONFLICT … DO UPDATE` (SQLite) or `INSERT … ON DUPLICATE KEY UPDATE` (MySQL).
 * Unlike insert-if-absent then update, it takes each row's lock once, exclusively, so two
 * transactions adding to the same rows wait for each other instead of deadlocking.
 * Columns not in `update` keep their stored value. Pass rows in a stable order.
 */
export async function upsertRows(
  tx: EntityManager,
  entity: EntityTarget<ObjectLiteral>,
  keys: readonly string[],
  rows: readonly Record<string, unknown>[],
  update: Record<string, UpsertUpdate>,
): Promise<void> {
  if (rows.length === 0) return;
  const esc = (name: string) => tx.connection.driver.escape(name);
  const table = tx.connection.getMetadata(entity).tableName;
  const sqlite = tx.connection.options.type === 'better-sqlite3';
  const columns = Object.keys(rows[0]!);
  const row = `(${columns.map(() => '?').join(', ')})`;
  const fn = sqlite ? { least: 'MIN', greatest: 'MAX' } : { least: 'LEAST', greatest: 'GREATEST' };
  const sets = Object.entries(update)
    .map(
      ([col, expr]) =>
        `${esc(col)} = ${expr(esc(col), sqlite ? `excluded.${esc(col)}` : `VALUES(${esc(col)})`, fn)}`,
    )
    .join(', ');
  const onKey = sqlite
    ? `ON CONFLICT (${keys.map(esc).join(', ')}) DO UPDATE SET`
    : 'ON DUPLICATE KEY UPDATE';
  await tx.query(
    `INSERT INTO ${esc(table)} (${columns.map(esc).join(', ')}) VALUES ${rows.map(() => row).join(', ')} ${onKey} ${sets}`,
    rows.flatMap((r) => columns.map((c) => r[c])),
  );
}

function alertView(r: VerdictAlert, devices: number): VerdictAlertView {
  return {
    id: r.id,
    key: r.objectKey,
    from: r.fromVerdict,
    to: r.toVerdict,
    at: r.at,
    proxyId: r.proxyId,
    devices,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
  };
}
