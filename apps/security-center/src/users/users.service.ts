import { Injectable } from '@nestjs/common';
import type {
  ApiTokenView,
  CreateApiTokenRequest,
  CreatedApiToken,
  CreateUserRequest,
  Role,
  UpdateUserRequest,
  UserView,
} from '@ksn/contracts';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ARGON2_OPTIONS } from '../auth/auth.service';
import { Session } from '../auth/session.entity';
import { User } from '../auth/user.entity';
import { ApiError } from '../common/api-error';
import { newSecret, sha256 } from '../common/crypto';
import { found } from '../common/query';
import { nowIso } from '../database/columns';
import { ApiToken } from './api-token.entity';

/** Console users (admin only) and API tokens for automation. */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<UserView[]> {
    return (await this.db.getRepository(User).find({ order: { username: 'ASC' } })).map(userView);
  }

  async create(actor: string, req: CreateUserRequest): Promise<UserView> {
    const user: User = {
      id: randomUUID(),
      username: req.username,
      passwordHash: await argon2.hash(req.password, ARGON2_OPTIONS),
      role: req.role,
      failedLogins: 0,
      lockedUntil: null,
      createdAt: nowIso(),
    };
    await this.db.transaction(async (tx) => {
      // Usernames are unique whatever their letter case, on every engine (MySQL's collation
      // compares them case-insensitively; SQLite would not): `Alice` and `alice` are one user.
      const taken = await tx
        .createQueryBuilder(User, 'u')
        .where('LOWER(u.username) = LOWER(:username)', { username: req.username })
        .getExists();
      if (taken) throw new ApiError('conflict', `user ${req.username} exists already`, 'username');
      await tx.insert(User, user);
      await this.audit.record(tx, {
        actor,
        action: 'user.create',
        objectType: 'user',
        objectId: user.id,
        after: { username: user.username, role: user.role },
      });
    });
    return userView(user);
  }

  /** Changes role and/or password; a new password ends the user's sessions and lifts a lockout. */
  async update(actor: string, id: string, req: UpdateUserRequest): Promise<UserView> {
    const passwordHash =
      req.password === undefined ? undefined : await argon2.hash(req.password, ARGON2_OPTIONS);
    return this.db.transaction(async (tx) => {
      const demoting = req.role !== undefined && req.role !== 'admin';
      // Lock first: then the user read below is current too.
      const admins = demoting ? await lockAdmins(tx) : 0;
      const user = found(await tx.findOneBy(User, { id }), 'user');
      if (demoting && user.role === 'admin') keepOneAdmin(admins);
      const changes: Partial<User> = {
        ...(req.role !== undefined && { role: req.role }),
        ...(passwordHash !== undefined && { passwordHash, failedLogins: 0, lockedUntil: null }),
      };
      if (Object.keys(changes).length > 0) await tx.update(User, { id }, changes);
      if (passwordHash !== undefined || (req.role !== undefined && req.role !== user.role))
        await tx.delete(Session, { userId: id });
      await this.audit.record(tx, {
        actor,
        action: 'user.update',
        objectType: 'user',
        objectId: id,
        before: { role: user.role },
        after: { role: req.role ?? user.role, passwordChanged: passwordHash !== undefined },
      });
      return userView({ ...user, ...changes });
    });
  }

  async remove(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const admins = await lockAdmins(tx);
      const user = found(await tx.findOneBy(User, { id }), 'user');
      if (user.username === actor) throw new ApiError('conflict', 'you cannot delete yourself');
      if (user.role === 'admin') keepOneAdmin(admins);
      await tx.delete(Session, { userId: id });
      await tx.delete(User, { id });
      await this.audit.record(tx, {
        actor,
        action: 'user.delete',
        objectType: 'user',
        objectId: id,
        before: { username: user.username, role: user.role },
      });
    });
  }

  // ─── API tokens ───

  async listTokens(): Promise<ApiTokenView[]> {
    return (await this.db.getRepository(ApiToken).find({ order: { createdAt: 'ASC', id: 'ASC' } })).map(
      tokenView,
    );
  }

  async createToken(actor: string, req: CreateApiTokenRequest): Promise<CreatedApiToken> {
    if (req.expiresAt !== undefined && Date.parse(req.expiresAt) <= Date.now())
      throw new ApiError('invalid_request', 'expiresAt is in the past', 'expiresAt');
    const token = newSecret('kt_');
    const row: ApiToken = {
      id: randomUUID(),
      name: req.name,
      tokenHash: sha256(token),
      role: req.role,
      createdBy: actor.slice(0, 100),
      createdAt: nowIso(),
      expiresAt: req.expiresAt === undefined ? null : new Date(req.expiresAt).toISOString(),
      lastUsedAt: null,
    };
    await this.db.transaction(async (tx) => {
      await tx.insert(ApiToken, row);
      await this.audit.record(tx, {
        actor,
        action: 'api-token.create',
        objectType: 'api-token',
        objectId: row.id,
        after: tokenView(row),
      });
    });
    return { ...tokenView(row), token };
  }

  async deleteToken(actor: string, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = found(await tx.findOneBy(ApiToken, { id }), 'API token');
      await tx.delete(ApiToken, { id });
      await this.audit.record(tx, {
        actor,
        action: 'api-token.delete',
        objectType: 'api-token',
        objectId: id,
        before: tokenView(row),
      });
    });
  }

  /** The token's name and role, or undefined for an unknown or expired token. */
  async authenticateToken(token: string): Promise<{ name: string; role: Role } | undefined> {
    if (!token.startsWith('kt_') || token.length > 300) return undefined;
    const row = await this.db.getRepository(ApiToken).findOneBy({ tokenHash: sha256(token) });
    const now = nowIso();
    if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
    // At most one write a minute per token.
    if (row.lastUsedAt === null || row.lastUsedAt < new Date(Date.now() - 60_000).toISOString()) {
      await this.db.getRepository(ApiToken).update({ id: row.id }, { lastUsedAt: now });
    }
    return { name: row.name, role: row.role };
  }
}

/**
 * Counts the admins, write-locking their rows until the transaction ends (MySQL; SQLite has
 * one writer at a time): two admins demoted or deleted at once by different requests or
 * instances then run one after the other, and the second sees the first's change. Call it as
 * the transaction's first statement, so its later plain reads are not from an older snapshot.
 */
async function lockAdmins(tx: EntityManager): Promise<number> {
  const lock =
    tx.connection.options.type === 'better-sqlite3' ? {} : { lock: { mode: 'pessimistic_write' as const } };
  return (await tx.find(User, { where: { role: 'admin' }, select: { id: true }, ...lock })).length;
}

function keepOneAdmin(admins: number): void {
  if (admins <= 1) throw new ApiError('conflict', 'the last admin cannot be removed or demoted');
}

function userView(u: User): UserView {
  return { id: u.id, username: u.username, role: u.role, createdAt: u.createdAt, lockedUntil: u.lockedUntil };
}

function tokenView(t: ApiToken): ApiTokenView {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdBy: t.createdBy,
    createdAt: t.createdAt,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
  };
}
