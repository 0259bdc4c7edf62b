import { Inject, Injectable } from '@nestjs/common';
import type {
  CreatedEnrolmentToken,
  CreateEnrolmentTokenRequest,
  EnrolmentTokenView,
  SigningKeyView,
  TokenResponse,
} from '@ksn/contracts';
import {
  decodeDeviceToken,
  generateSigningKey,
  importPrivateKey,
  importPublicKey,
  signDeviceToken,
  verifyDeviceToken,
} from '@ksn/device-auth';
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { found } from '../common/query';
import { AdminGroup } from '../groups/group.entity';
import { lockTree } from '../groups/groups.service';
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
    private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Makes sure an active signing key exists (first start); publishing it bumps the snapshot. */
  async ensureSigningKey(): Promise<void> {
    const active = await this.db
      .getRepository(SigningKey)
      .findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    if (active) return;
    const pair = generateSigningKey(randomUUID());
    await this.db.transaction(async (tx) => {
      await tx.insert(SigningKey, {
        kid: pair.kid,
        privateKey: pair.privateKey,
        publicKey: pair.publicKey,
        createdAt: nowIso(),
        retiredAt: null,
      });
      await this.snapshots.bump(tx);
    });
  }

  private async activeSigner(): Promise<{ kid: string; key: KeyObject }> {
    const active = await this.db
      .getRepository(SigningKey)
      .findOne({ where: { retiredAt: IsNull() }, order: { createdAt: 'DESC' } });
    if (!active) throw new Error('no active signing key');
    if (this.signer?.kid !== active.kid)
      this.signer = { kid: active.kid, key: importPrivateKey(active.privateKey) };
    return this.signer;
  }

  async createToken(
    groupId: string,
    label: string,
    opts: { token?: string; expiresAt?: string | null; maxUses?: number | null } = {},
  ): Promise<string> {
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
      const qb = tx
        .createQueryBuilder()
        .update(EnrolmentToken)
        .set({ uses: () => 'uses + 1' })
        .where('id = :id', { id: et.id });
      if (et.maxUses !== null) qb.andWhere('uses < :max', { max: et.maxUses });
      const updated = await qb.execute();
      if (updated.affected === 0)
        throw new ApiError('unauthorized', 'enrolment token has no uses left', 'enrolmentToken');
      const d: Device = {
        id: randomUUID(),
        name: deviceName,
        groupId: et.groupId,
        enrolledAt: nowIso(),
        lastSeenAt: null,
        revokedAt: null,
        groupChangedAt: null,
      };
      await tx.insert(Device, d);
      // The device is the actor of its own enrolment, through the token it presented.
      await this.audit.record(tx, {
        actor: `enrolment-token:${et.id}`,
        action: 'device.enrol',
        objectType: 'device',
        objectId: d.id,
        before: null,
        after: { name: d.name, groupId: d.groupId, enrolmentToken: et.label },
      });
      return d;
    });
    return this.issue(signer, device);
  }

  // ─── Enrolment tokens (console) ───

  async listTokens(): Promise<EnrolmentTokenView[]> {
    const rows = await this.db.getRepository(EnrolmentToken).find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(tokenView);
  }

  /** Creates an enrolment token for a group; the token is in this answer only (stored hashed). */
  async createTokenFor(actor: string, req: CreateEnrolmentTokenRequest): Promise<CreatedEnrolmentToken> {
    if (req.expiresAt !== undefined && Date.parse(req.expiresAt) <= Date.now())
      throw new ApiError('invalid_request', 'expiresAt is in the past', 'expiresAt');
    const token = newSecret('ke_');
    const row: EnrolmentToken = {
      id: randomUUID(),
      tokenHash: sha256(token),
      groupId: req.groupId,
      label: req.label,
      expiresAt: req.expiresAt === undefined ? null : new Date(req.expiresAt).toISOString(),
      maxUses: req.maxUses ?? null,
      uses: 0,
      createdAt: nowIso(),
    };
    await this.db.transaction(async (tx) => {
      // First: the group cannot be deleted under this token's creation (see lockTree).
      await lockTree(tx);
      // Store the id of the row found, not the request's spelling: MySQL compares ids case-insensitively.
      row.groupId = found(await tx.findOneBy(AdminGroup, { id: req.groupId }), 'group', 'groupId').id;
      await tx.insert(EnrolmentToken, row);
      await this.audit.record(tx, {
        actor,
        action: 'enrolment-token.create',
        objectType: 'enrolment-token',
        objectId: row.id,
        after: tokenView(row),
      });
    });
    return { ...tokenView(row), token };
  }

  async deleteToken(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = found(await tx.findOneBy(EnrolmentToken, { id }), 'enrolment token');
      await tx.delete(EnrolmentToken, { id });
      await this.audit.record(tx, {
        actor,
        action: 'enrolment-token.delete',
        objectType: 'enrolment-token',
        objectId: id,
        before: tokenView(row),
      });
    });
  }

  // ─── Signing keys ───

  async listKeys(): Promise<SigningKeyView[]> {
    const rows = await this.db.getRepository(SigningKey).find({ order: { createdAt: 'ASC' } });
    return rows.map(keyView);
  }

  /**
   * New signing key; the old one stops signing but stays in the snapshot until the last token
   * it signed has expired, and token refresh still accepts its tokens: nobody is locked out.
   */
  async rotateKey(actor: string): Promise<SigningKeyView> {
    const pair = generateSigningKey(randomUUID());
    const now = nowIso();
    const row: SigningKey = {
      kid: pair.kid,
      privateKey: pair.privateKey,
      publicKey: pair.publicKey,
      createdAt: now,
      retiredAt: null,
    };
    await this.db.transaction(async (tx) => {
      const retiring = await tx.findBy(SigningKey, { retiredAt: IsNull() });
      await tx.update(SigningKey, { retiredAt: IsNull() }, { retiredAt: now });
      await tx.insert(SigningKey, row);
      await this.audit.record(tx, {
        actor,
        action: 'signing-key.rotate',
        objectType: 'signing-key',
        objectId: pair.kid,
        before: { active: retiring.map((k) => k.kid) },
        after: { active: [pair.kid] },
      });
      await this.snapshots.bump(tx);
    });
    return keyView(row);
  }

  // ─── Token refresh (proxy on behalf of a device) ───

  /**
   * A new token for the same device in its current group. The old token must carry our
   * signature (by any key we still hold) and may have expired at most the grace period ago.
   */
  async refresh(token: string): Promise<TokenResponse> {
    const claims = decodeDeviceToken(token);
    if (!claims) throw new ApiError('invalid_token', 'not a device token', 'token');
    const key = await this.db.getRepository(SigningKey).findOneBy({ kid: claims.kid });
    if (!key) throw new ApiError('invalid_token', 'token not issued by this security center', 'token');
    const nowSeconds = Math.floor(Date.now() / 1000);
    const verified = verifyDeviceToken(
      token,
      new Map([[key.kid, importPublicKey(key.publicKey)]]),
      nowSeconds - this.config.TOKEN_REFRESH_GRACE_SECONDS,
    );
    if (!verified.ok) {
      throw new ApiError(
        'invalid_token',
        verified.reason === 'expired'
          ? 'token expired too long ago; enrol again'
          : 'token not issued by this security center',
        'token',
      );
    }
    const device = await this.db.getRepository(Device).findOneBy({ id: claims.sub });
    if (!device) throw new ApiError('invalid_token', 'unknown device', 'token');
    if (device.revokedAt !== null) throw new ApiError('device_revoked', 'this device has been revoked');
    await this.db.getRepository(Device).update({ id: device.id }, { lastSeenAt: nowIso() });
    return this.issue(await this.activeSigner(), device);
  }

  private issue(signer: { kid: string; key: KeyObject }, device: Device): TokenResponse {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.config.DEVICE_TOKEN_TTL_SECONDS;
    const token = signDeviceToken(signer.key, {
      kid: signer.kid,
      sub: device.id,
      grp: device.groupId,
      iat,
      exp,
    });
    return {
      token,
      deviceId: device.id,
      groupId: device.groupId,
      expiresAt: new Date(exp * 1000).toISOString(),
    };
  }
}

function tokenView(t: EnrolmentToken): EnrolmentTokenView {
  return {
    id: t.id,
    label: t.label,
    groupId: t.groupId,
    expiresAt: t.expiresAt,
    maxUses: t.maxUses,
    uses: t.uses,
    createdAt: t.createdAt,
  };
}

function keyView(k: SigningKey): SigningKeyView {
  return {
    kid: k.kid,
    publicKey: k.publicKey,
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
    active: k.retiredAt === null,
  };
}
