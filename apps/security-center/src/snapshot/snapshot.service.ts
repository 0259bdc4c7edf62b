import { Inject, Injectable } from '@nestjs/common';
import { compileSnapshot } from '@ksn/policy-engine';
import { EventEmitter } from 'node:events';
import { DataSource, IsNull, MoreThan, type EntityManager } from 'typeorm';
import { CONFIG, type Config } from '../config';
import { nowIso } from '../database/columns';
import { Device } from '../devices/device.entity';
import { SigningKey } from '../enrolment/signing-key.entity';
import { AdminGroup } from '../groups/group.entity';
import { OverrideEntity } from '../overrides/override.entity';
import { SnapshotState } from './snapshot-state.entity';

export interface CompiledSnapshot {
  version: number;
  etag: string;
  /** Serialized once per version; every proxy gets the same bytes. */
  body: string;
}

/** How often a waiting long-poll re-reads the version (other instances may have changed it). */
const POLL_MS = 500;

@Injectable()
export class SnapshotService {
  private cached: CompiledSnapshot | undefined;
  private readonly changes = new EventEmitter().setMaxListeners(0);
  constructor(
    private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Call inside the transaction of every change that proxies must see. */
  async bump(tx: EntityManager): Promise<void> {
    await tx.increment(SnapshotState, { id: 1 }, 'version', 1);
    await tx.update(SnapshotState, { id: 1 }, { changedAt: nowIso() });
    // Wake local long-polls once the transaction has had a chance to commit.
    setImmediate(() => this.changes.emit('change'));
  }

  async ensureState(): Promise<void> {
    if (!(await this.db.getRepository(SnapshotState).existsBy({ id: 1 }))) {
      await this.db.getRepository(SnapshotState).insert({ id: 1, version: 1, changedAt: nowIso() });
    }
  }

  async version(): Promise<number> {
    return (await this.db.getRepository(SnapshotState).findOneByOrFail({ id: 1 })).version;
  }

  async current(): Promise<CompiledSnapshot> {
    const version = await this.version();
    if (this.cached?.version === version) return this.cached;
    const compiled = await this.compile(version);
    this.cached = compiled;
    return compiled;
  }

  /** Resolves with the snapshot once its version differs from `version`, or after `waitMs` with the current one. */
  async waitForChange(version: number, waitMs: number, cancelled?: Promise<void>): Promise<CompiledSnapshot> {
    const deadline = Date.now() + waitMs;
    let stop = false;
    void cancelled?.then(() => (stop = true));
    while (!stop && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        // Whichever comes first, the timer or a change, removes the other: an idle poll must not
        // leave a listener behind on every step.
        const done = () => {
          clearTimeout(timer);
          this.changes.off('change', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        this.changes.once('change', done);
      });
      if ((await this.version()) !== version) break;
    }
    return this.current();
  }

  private async compile(version: number): Promise<CompiledSnapshot> {
    const now = new Date();
    // Revocations and moves matter only while a token issued before them may still be valid.
    const since = new Date(now.getTime() - this.config.DEVICE_TOKEN_TTL_SECONDS * 1000).toISOString();
    const nowText = now.toISOString();
    const [groups, keys, revoked, moved, overrides] = await Promise.all([
      this.db.getRepository(AdminGroup).find(),
      this.db.getRepository(SigningKey).find({ order: { createdAt: 'ASC' } }),
      this.db
        .getRepository(Device)
        .find({ where: { revokedAt: MoreThan(since) }, select: ['id', 'revokedAt'] }),
      this.db.getRepository(Device).find({
        where: { groupChangedAt: MoreThan(since), revokedAt: IsNull() },
        select: ['id', 'groupId', 'groupChangedAt'],
      }),
      this.db.getRepository(OverrideEntity).find({
        where: [{ expiresAt: IsNull() }, { expiresAt: MoreThan(nowText) }],
        order: { keyHash: 'ASC' },
      }),
    ]);
    const snapshot = compileSnapshot({
      version,
      now,
      groups: groups.map((g) => ({ id: g.id, name: g.name, parentId: g.parentId, policy: g.policy })),
      keys: keys
        .filter((k) => k.retiredAt === null || k.retiredAt > since)
        .map((k) => ({ kid: k.kid, publicKey: k.publicKey })),
      revoked: revoked.map((d) => ({ deviceId: d.id, at: d.revokedAt! })),
      moved: moved.map((d) => ({ deviceId: d.id, groupId: d.groupId, at: d.groupChangedAt! })),
      overrides: overrides.map((o) => ({
        key: o.objectKey,
        action: o.action,
        ...(o.expiresAt !== null && { expiresAt: o.expiresAt }),
      })),
    });
    return { version, etag: `"v${version}"`, body: JSON.stringify(snapshot) };
  }
}
