import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  COUNTER_NAMES,
  type CreatedProxy,
  type Heartbeat,
  type HeartbeatRuleHit,
  type HeartbeatTraffic,
  type ProxyDetail,
  type ProxyStatus,
  type TrafficLogEntry,
} from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, MoreThanOrEqual, Repository, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { newSecret, sha256 } from '../common/crypto';
import { found } from '../common/query';
import { nowIso } from '../database/columns';
import { Device } from '../devices/device.entity';
import { RuleHit } from '../policies/rule-hit.entity';
import { SnapshotService } from '../snapshot/snapshot.service';
import { UnknownObjectsService } from '../unknown-objects/unknown-objects.service';
import { ProxyEntity } from './proxy.entity';
import { TrafficLog } from './traffic-log.entity';
import { TrafficMinute } from './traffic-minute.entity';

/** A proxy counts as connected when it sent a heartbeat within this window. */
export const CONNECTED_WINDOW_MS = 60_000;

@Injectable()
export class ProxiesService {
  constructor(
    @InjectRepository(ProxyEntity) private readonly proxies: Repository<ProxyEntity>,
    private readonly db: DataSource,
    private readonly unknown: UnknownObjectsService,
    private readonly snapshots: SnapshotService,
    private readonly audit: AuditService,
  ) {}

  /** Console: registers a proxy and returns its API key once. */
  async register(actor: string, name: string): Promise<CreatedProxy> {
    const apiKey = newSecret('kp_');
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.insert(ProxyEntity, {
        id,
        name,
        apiKeyHash: sha256(apiKey),
        createdAt: nowIso(),
        lastHeartbeatAt: null,
        instanceId: null,
        version: null,
        snapshotVersion: null,
        cacheEntries: null,
      });
      await this.audit.record(tx, {
        actor,
        action: 'proxy.create',
        objectType: 'proxy',
        objectId: id,
        after: { name },
      });
    });
    return { id, name, apiKey };
  }

  async remove(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const proxy = found(await tx.findOneBy(ProxyEntity, { id }), 'proxy');
      await tx.delete(ProxyEntity, { id });
      await this.audit.record(tx, {
        actor,
        action: 'proxy.delete',
        objectType: 'proxy',
        objectId: id,
        before: { name: proxy.name },
      });
    });
  }

  /** Health as the console's connectivity self-test shows it, derived from heartbeats. */
  async detail(id: string, now = Date.now()): Promise<ProxyDetail> {
    const p = found(await this.proxies.findOneBy({ id }), 'proxy');
    const current = await this.snapshots.version();
    const last = p.lastHeartbeatAt === null ? null : Date.parse(p.lastHeartbeatAt);
    const connected = last !== null && now - last < CONNECTED_WINDOW_MS;
    return {
      id: p.id,
      name: p.name,
      createdAt: p.createdAt,
      instanceId: p.instanceId,
      version: p.version,
      lastHeartbeatAt: p.lastHeartbeatAt,
      snapshotVersion: p.snapshotVersion,
      currentSnapshotVersion: current,
      cacheEntries: p.cacheEntries,
      connected,
      upToDate: connected && p.snapshotVersion === current,
      secondsSinceHeartbeat: last === null ? null : Math.max(0, Math.floor((now - last) / 1000)),
    };
  }

  /** The traffic log of one proxy over the last `minutes`, oldest first. */
  async traffic(id: string, minutes: number, now = Date.now()): Promise<TrafficLogEntry[]> {
    found(await this.proxies.findOneBy({ id }), 'proxy');
    const since = new Date(Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000).toISOString();
    const rows = await this.db.getRepository(TrafficLog).find({
      where: { proxyId: id, minute: MoreThanOrEqual(since) },
      order: { minute: 'ASC', kind: 'ASC' },
    });
    return rows.map((r) => ({
      minute: r.minute,
      kind: r.kind,
      requests: r.requests,
      items: r.items,
      bytesSent: r.bytesSent,
      bytesReceived: r.bytesReceived,
    }));
  }

  /** Registers a proxy; returns its API key, which is shown once and stored only hashed. */
  async create(name: string, apiKey = newSecret('kp_')): Promise<{ proxy: ProxyEntity; apiKey: string }> {
    const proxy = this.proxies.create({
      id: randomUUID(),
      name,
      apiKeyHash: sha256(apiKey),
      createdAt: nowIso(),
      lastHeartbeatAt: null,
      instanceId: null,
      version: null,
      snapshotVersion: null,
      cacheEntries: null,
    });
    await this.proxies.insert(proxy);
    return { proxy, apiKey };
  }

  async existsWithKey(apiKey: string): Promise<boolean> {
    return (await this.proxies.countBy({ apiKeyHash: sha256(apiKey) })) > 0;
  }

  async authenticate(apiKey: string): Promise<ProxyEntity | undefined> {
    if (!apiKey.startsWith('kp_') || apiKey.length > 300) return undefined;
    return (await this.proxies.findOneBy({ apiKeyHash: sha256(apiKey) })) ?? undefined;
  }

  /** Stores what a heartbeat says and adds its counters to the current minute's aggregate. */
  async recordHeartbeat(proxy: ProxyEntity, beat: Heartbeat, now = new Date()): Promise<void> {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000).toISOString();
    await this.db.transaction(async (tx) => {
      await tx.update(
        ProxyEntity,
        { id: proxy.id },
        {
          lastHeartbeatAt: now.toISOString(),
          instanceId: beat.instanceId,
          version: beat.version,
          snapshotVersion: beat.snapshotVersion,
          cacheEntries: beat.cacheEntries,
        },
      );
      // Atomic increments: beats handled by two instances at once both count.
      if (!(await addToMinute(tx, proxy.id, minute, beat))) {
        try {
          await tx.insert(TrafficMinute, { proxyId: proxy.id, minute, ...beat.counters });
        } catch (e) {
          // Another instance inserted the row first: add to it.
          if (!(await addToMinute(tx, proxy.id, minute, beat))) throw e;
        }
      }
      await this.unknown.ingestUnknown(tx, beat.unknownObjects ?? []);
      await this.unknown.ingestChanges(tx, proxy.id, beat.verdictChanges ?? []);
      await addRuleHits(tx, beat.ruleHits ?? [], now.toISOString());
      await addTraffic(tx, proxy.id, beat.traffic ?? []);
      await markSeen(tx, beat.activeDevices ?? [], now.toISOString());
    });
  }

  async statuses(now = Date.now()): Promise<ProxyStatus[]> {
    const rows = await this.proxies.find({ order: { name: 'ASC' } });
    return rows.map((p) => ({
      id: p.id,
      name: p.name,
      instanceId: p.instanceId,
      version: p.version,
      lastHeartbeatAt: p.lastHeartbeatAt,
      snapshotVersion: p.snapshotVersion,
      cacheEntries: p.cacheEntries,
      connected: p.lastHeartbeatAt !== null && now - Date.parse(p.lastHeartbeatAt) < CONNECTED_WINDOW_MS,
    }));
  }
}

async function addToMinute(
  tx: EntityManager,
  proxyId: string,
  minute: string,
  beat: Heartbeat,
): Promise<boolean> {
  const esc = (name: string) => tx.connection.driver.escape(name);
  const result = await tx
    .createQueryBuilder()
    .update(TrafficMinute)
    .set(Object.fromEntries(COUNTER_NAMES.map((n) => [n, () => `${esc(n)} + :${n}`])))
    .setParameters(beat.counters)
    .where('proxyId = :proxyId AND minute = :minute', { proxyId, minute })
    .execute();
  return (result.affected ?? 0) > 0;
}

/**
 * Adds to counters with insert-if-absent then one atomic `hits = hits + CASE …` per chunk:
 * correct under concurrent beats on any engine, and a bounded number of statements.
 */
/** Devices the proxy served since its previous beat: their last-seen time is now (never moved back). */
async function markSeen(tx: EntityManager, deviceIds: readonly string[], at: string): Promise<void> {
  for (let i = 0; i < deviceIds.length; i += 500) {
    await tx
      .createQueryBuilder()
      .update(Device)
      .set({ lastSeenAt: at })
      .where('id IN (:...ids)', { ids: deviceIds.slice(i, i + 500) })
      .andWhere('(lastSeenAt IS NULL OR lastSeenAt < :at)', { at })
      .execute();
  }
}

async function addRuleHits(tx: EntityManager, hits: readonly HeartbeatRuleHit[], at: string): Promise<void> {
  const byRule = new Map<string, HeartbeatRuleHit>();
  for (const h of hits) {
    const seen = byRule.get(h.ruleId);
    byRule.set(h.ruleId, seen ? { ...h, hits: seen.hits + h.hits } : h);
  }
  const all = [...byRule.values()];
  const esc = (name: string) => tx.connection.driver.escape(name);
  for (let i = 0; i < all.length; i += 500) {
    const chunk = all.slice(i, i + 500);
    await tx
      .createQueryBuilder()
      .insert()
      .into(RuleHit)
      .values(chunk.map((h) => ({ ruleId: h.ruleId, groupId: h.groupId, hits: 0, lastHitAt: null })))
      .orIgnore()
      .execute();
    const id = esc('ruleId');
    const cases = (col: string) =>
      `CASE ${chunk.map(() => `WHEN ${id} = ? THEN ?`).join(' ')} ELSE ${col} END`;
    const marks = chunk.map(() => '?').join(', ');
    await tx.query(
      `UPDATE ${esc('rule_hits')} SET ${esc('hits')} = ${esc('hits')} + ${cases('0')}, ${esc('groupId')} = ${cases(esc('groupId'))}, ${esc('lastHitAt')} = ? WHERE ${id} IN (${marks})`,
      [
        ...chunk.flatMap((h) => [h.ruleId, h.hits]),
        ...chunk.flatMap((h) => [h.ruleId, h.groupId]),
        at,
        ...chunk.map((h) => h.ruleId),
      ],
    );
  }
}

const TRAFFIC_FIELDS = ['requests', 'items', 'bytesSent', 'bytesReceived'] as const;

async function addTraffic(
  tx: EntityManager,
  proxyId: string,
  entries: readonly HeartbeatTraffic[],
): Promise<void> {
  const esc = (name: string) => tx.connection.driver.escape(name);
  for (const t of entries) {
    const minute = new Date(Math.floor(Date.parse(t.minute) / 60_000) * 60_000).toISOString();
    await tx
      .createQueryBuilder()
      .insert()
      .into(TrafficLog)
      .values({ proxyId, minute, kind: t.kind, requests: 0, items: 0, bytesSent: 0, bytesReceived: 0 })
      .orIgnore()
      .execute();
    await tx
      .createQueryBuilder()
      .update(TrafficLog)
      .set(Object.fromEntries(TRAFFIC_FIELDS.map((f) => [f, () => `${esc(f)} + :${f}`])))
      .setParameters({
        requests: t.requests,
        items: t.items,
        bytesSent: t.bytesSent,
        bytesReceived: t.bytesReceived,
      })
      .where('proxyId = :proxyId AND minute = :minute AND kind = :kind', { proxyId, minute, kind: t.kind })
      .execute();
  }
}
