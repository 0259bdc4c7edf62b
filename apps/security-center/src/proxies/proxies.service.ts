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
import { UnknownObjectsService, upsertRows } from '../unknown-objects/unknown-objects.service';
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
    await retryOnDeadlock(() =>
      this.db.transaction(async (tx) => {
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
        // Atomic increments (one upsert): beats handled by two instances at once both count.
        await upsertRows(
          tx,
          TrafficMinute,
          ['proxyId', 'minute'],
          [{ proxyId: proxy.id, minute, ...beat.counters }],
          Object.fromEntries(COUNTER_NAMES.map((n) => [n, (cur: string, inc: string) => `${cur} + ${inc}`])),
        );
        await this.unknown.ingestUnknown(tx, beat.unknownObjects ?? []);
        await this.unknown.ingestChanges(tx, proxy.id, beat.verdictChanges ?? []);
        await addRuleHits(tx, beat.ruleHits ?? [], now.toISOString());
        await addTraffic(tx, proxy.id, beat.traffic ?? []);
        await markSeen(tx, beat.activeDevices ?? [], now.toISOString());
      }),
    );
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

/**
 * Runs a transaction again (up to 4 more times, after a short random pause) when the database
 * chose it as a deadlock victim (MySQL errno 1213): the transaction was rolled back whole, so
 * running it again is safe. Beats from several proxies touch the same rows in the same order,
 * so this is a last resort, e.g. for InnoDB's gap locks between neighbouring new keys.
 */
async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (attempt >= attempts || !isDeadlock(e)) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

function isDeadlock(e: unknown): boolean {
  const err = e as { errno?: number; code?: string; driverError?: { errno?: number; code?: string } };
  const errno = err.driverError?.errno ?? err.errno;
  const code = err.driverError?.code ?? err.code;
  return errno === 1213 || code === 'ER_LOCK_DEADLOCK';
}

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

/**
 * Adds to the rule counters with one upsert (`hits = hits + …`) per chunk of 500 rules, in
 * rule-id order: correct under concurrent beats on any engine, and a bounded number of statements.
 */
async function addRuleHits(tx: EntityManager, hits: readonly HeartbeatRuleHit[], at: string): Promise<void> {
  const byRule = new Map<string, HeartbeatRuleHit>();
  for (const h of hits) {
    const seen = byRule.get(h.ruleId);
    byRule.set(h.ruleId, seen ? { ...h, hits: seen.hits + h.hits } : h);
  }
  const all = [...byRule.values()].sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  for (let i = 0; i < all.length; i += 500) {
    await upsertRows(
      tx,
      RuleHit,
      ['ruleId'],
      all
        .slice(i, i + 500)
        .map((h) => ({ ruleId: h.ruleId, groupId: h.groupId, hits: h.hits, lastHitAt: at })),
      {
        hits: (cur, inc) => `${cur} + ${inc}`,
        groupId: (_cur, inc) => inc,
        lastHitAt: (_cur, inc) => inc,
      },
    );
  }
}

const TRAFFIC_FIELDS = ['requests', 'items', 'bytesSent', 'bytesReceived'] as const;

async function addTraffic(
  tx: EntityManager,
  proxyId: string,
  entries: readonly HeartbeatTraffic[],
): Promise<void> {
  // One row per (minute, kind), summed here, in a stable order; then one upsert adds them all.
  const rows = new Map<string, Record<string, string | number>>();
  for (const t of entries) {
    const minute = new Date(Math.floor(Date.parse(t.minute) / 60_000) * 60_000).toISOString();
    const key = `${minute} ${t.kind}`;
    const row = rows.get(key) ?? {
      proxyId,
      minute,
      kind: t.kind,
      requests: 0,
      items: 0,
      bytesSent: 0,
      bytesReceived: 0,
    };
    for (const f of TRAFFIC_FIELDS) row[f] = (row[f] as number) + t[f];
    rows.set(key, row);
  }
  const sorted = [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  for (let i = 0; i < sorted.length; i += 200) {
    await upsertRows(
      tx,
      TrafficLog,
      ['proxyId', 'minute', 'kind'],
      sorted.slice(i, i + 200),
      Object.fromEntries(TRAFFIC_FIELDS.map((f) => [f, (cur: string, inc: string) => `${cur} + ${inc}`])),
    );
  }
}
