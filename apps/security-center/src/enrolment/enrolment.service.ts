import { Inject, Injectable } from '@nestjs/common';
import type { TokenResponse } from '@ksn/contracts';
import { generateSigningKey, importPrivateKey, signDeviceToken } from '@ksn/device-auth';
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { ApiError } from '../common/api-error';
import { newSecret, sha256 } from '../common/crypto';
import { CONFIG, type Config } from '../config';
import { nowIso } from '../database/columns';
import { Device } from '../devices/device.entity';
import { SnapshotService } from '../snapshot/snapshot.service';
import { EnrolmentToken } from './enrolment-token.entity';
import { SigningKey } from './signing-key.entity';

@Injectable()
export class EnrolmentService {
  private signer: { kid: string; key: KeyObject } | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly snapshots: SnapshotService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Makes sure an active signing key exists (first start); publishing it bumps the snapshot. */
  async ensureSigningKey(): Promise<void> {
    const active = await this.db.getRepository(SigningKey).findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    if (active) return;
    const pair = generateSigningKey(randomUUID());
    await this.db.transaction(async (tx) => {
      await tx.insert(SigningKey, { kid: pair.kid, privateKey: pair.privateKey, publicKey: pair.publicKey, createdAt: nowIso(), retiredAt: null });
      await this.snapshots.bump(tx);
    });
  }

  private async activeSigner(): Promise<{ kid: string; key: KeyObject }> {
    const active = await this.db.getRepository(SigningKey).findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    if (!active) throw new Error('no active signing key');
    if (this.signer?.kid !== active.kid) this.signer = { kid: active.kid, key: importPrivateKey(active.privateKey) };
    return this.signer;
  }

  async createToken(groupId: string, label: string, opts: { token?: string; expiresAt?: string | null; maxUses?: number | null } = {}): Promise<string> {
    const token = opts.token ?? newSecret('ke_');
    await this.db.getRepository(EnrolmentToken).insert({
      id: randomUUID(),
      tokenHash: sha256(token),
      groupId,
      label,
      expiresAt: opts.expiresAt ?? null,
      maxUses: opts.maxUses ?? null,
      uses: 0,
      createdAt: nowIso(),
    });
    return token;
  }

  async tokenExists(token: string): Promise<boolean> {
    return this.db.getRepository(EnrolmentToken).existsBy({ tokenHash: sha256(token) });
  }

  /** Trades an enrolment token for a device record and a signed device token. */
  async enrol(enrolmentToken: string, deviceName: string): Promise<TokenResponse> {
    const signer = await this.activeSigner();
    const device = await this.db.transaction(async (tx) => {
      const et = await tx.findOneBy(EnrolmentToken, { tokenHash: sha256(enrolmentToken) });
      if (!et || (et.expiresAt !== null && et.expiresAt <= nowIso())) {
        throw new ApiError('unauthorized', 'unknown or expired enrolment token', 'enrolmentToken');
      }
      // Conditional increment: two devices racing for the last use cannot both win.
      const qb = tx.createQueryBuilder().update(EnrolmentToken).set({ uses: () => 'uses + 1' }).where('id = :id', { id: et.id });
      if (et.maxUses !== null) qb.andWhere('uses < :max', { max: et.maxUses });
      const updated = await qb.execute();
      if (updated.affected === 0) throw new ApiError('unauthorized', 'enrolment token has no uses left', 'enrolmentToken');
      const d: Device = { id: randomUUID(), name: deviceName, groupId: et.groupId, enrolledAt: nowIso(), lastSeenAt: null, revokedAt: null, groupChangedAt: null };
      await tx.insert(Device, d);
      return d;
    });
    return this.issue(signer, device);
  }

  private issue(signer: { kid: string; key: KeyObject }, device: Device): TokenResponse {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.config.DEVICE_TOKEN_TTL_SECONDS;
    const token = signDeviceToken(signer.key, { kid: signer.kid, sub: device.id, grp: device.groupId, iat, exp });
    return { token, deviceId: device.id, groupId: device.groupId, expiresAt: new Date(exp * 1000).toISOString() };
  }
}
