import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { COUNTER_NAMES, type Heartbeat, type ProxyStatus } from '@ksn/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository, type EntityManager } from 'typeorm';
import { newSecret, sha256 } from '../common/crypto';
import { nowIso } from '../database/columns';
import { ProxyEntity } from './proxy.entity';
import { TrafficMinute } from './traffic-minute.entity';

/** A proxy counts as connected when it sent a heartbeat within this window. */
export const CONNECTED_WINDOW_MS = 60_000;

@Injectable()
export class ProxiesService {
  constructor(
    @InjectRepository(ProxyEntity) private readonly proxies: Repository<ProxyEntity>,
    private readonly db: DataSource,
  ) {}

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
      await tx.update(ProxyEntity, { id: proxy.id }, {
        lastHeartbeatAt: now.toISOString(),
        instanceId: beat.instanceId,
        version: beat.version,
        snapshotVersion: beat.snapshotVersion,
        cacheEntries: beat.cacheEntries,
      });
      // Atomic increments: beats handled by two instances at once both count.
      if (!(await addToMinute(tx, proxy.id, minute, beat))) {
        try {
          await tx.insert(TrafficMinute, { proxyId: proxy.id, minute, ...beat.counters });
        } catch (e) {
          // Another instance inserted the row first: add to it.
          if (!(await addToMinute(tx, proxy.id, minute, beat))) throw e;
        }
      }
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

async function addToMinute(tx: EntityManager, proxyId: string, minute: string, beat: Heartbeat): Promise<boolean> {
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
