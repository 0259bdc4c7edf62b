import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Me, Role } from '@ksn/contracts';
import * as argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import { DataSource, LessThan, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { newSecret, sha256 } from '../common/crypto';
import { CONFIG, type Config } from '../config';
import { nowIso } from '../database/columns';
import { Session } from './session.entity';
import { User } from './user.entity';

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

const MAX_FAILURES = 5;
const LOCKOUT_MS = 5 * 60_000;

@Injectable()
export class AuthService {
  /** A hash to verify against when the user does not exist, so timing does not reveal user names. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(CONFIG) private readonly config: Config,
    private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Failed logins go to the audit log (never the password tried). */
  private async auditFailure(username: string, userId: string | undefined, locked: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const entry = { actor: username.slice(0, 100), objectType: 'user', objectId: userId ?? '-' };
      await this.audit.record(tx, {
        ...entry,
        action: 'auth.login_failed',
        after: { knownUser: userId !== undefined },
      });
      if (locked)
        await this.audit.record(tx, {
          ...entry,
          action: 'auth.locked',
          after: { lockedForSeconds: LOCKOUT_MS / 1000 },
        });
    });
  }

  async createUser(username: string, password: string, role: Role): Promise<User> {
    const user = this.users.create({
      id: randomUUID(),
      username,
      passwordHash: await argon2.hash(password, ARGON2_OPTIONS),
      role,
      failedLogins: 0,
      lockedUntil: null,
      createdAt: nowIso(),
    });
    return this.users.save(user);
  }

  countUsers(): Promise<number> {
    return this.users.count();
  }

  /**
   * The user a login names, its letter case ignored on every engine (as MySQL's collation
   * does); an exact match first, for accounts created before usernames were unique that way.
   */
  private async findUser(username: string): Promise<User | null> {
    const candidates = await this.users
      .createQueryBuilder('u')
      .where('LOWER(u.username) = LOWER(:username)', { username })
      .getMany();
    return candidates.find((u) => u.username === username) ?? candidates[0] ?? null;
  }

  /** Checks the password; on success opens a session and returns its cookie token. */
  async login(username: string, password: string): Promise<{ token: string; me: Me; expiresAt: Date }> {
    const user = await this.findUser(username);
    if (!user) {
      this.dummyHash ??= argon2.hash('not-a-password', ARGON2_OPTIONS);
      await argon2.verify(await this.dummyHash, password);
      await this.auditFailure(username, undefined, false);
      throw new ApiError('unauthorized', 'wrong username or password');
    }
    if (user.lockedUntil && user.lockedUntil > nowIso()) {
      await this.auditFailure(username, user.id, false);
      throw new ApiError('rate_limited', 'too many failed logins; try again in a few minutes');
    }
    // Count the attempt before checking the password, atomically in the database: parallel
    // guesses cannot all read the same count, so at most MAX_FAILURES passwords are tried
    // per lockout period however many requests arrive at once (on every instance).
    await this.users.increment({ id: user.id }, 'failedLogins', 1);
    const attempt = (await this.users.findOneByOrFail({ id: user.id })).failedLogins;
    if (attempt > MAX_FAILURES) {
      await this.auditFailure(username, user.id, false);
      throw new ApiError('rate_limited', 'too many failed logins; try again in a few minutes');
    }
    if (!(await argon2.verify(user.passwordHash, password))) {
      const lock = attempt >= MAX_FAILURES;
      if (lock)
        await this.users.update(
          { id: user.id },
          { failedLogins: 0, lockedUntil: new Date(Date.now() + LOCKOUT_MS).toISOString() },
        );
      await this.auditFailure(username, user.id, lock);
      throw new ApiError('unauthorized', 'wrong username or password');
    }
    await this.users.update({ id: user.id }, { failedLogins: 0, lockedUntil: null });
    const token = newSecret('', 32);
    const csrfToken = newSecret('', 24);
    const expiresAt = new Date(Date.now() + this.config.SESSION_TTL_SECONDS * 1000);
    await this.sessions.insert({
      tokenHash: sha256(token),
      userId: user.id,
      csrfToken,
      createdAt: nowIso(),
      expiresAt: expiresAt.toISOString(),
    });
    // Housekeeping: expired sessions are useless; drop them while we are here.
    await this.sessions.delete({ expiresAt: LessThan(nowIso()) });
    return { token, me: { username: user.username, role: user.role, csrfToken }, expiresAt };
  }

  async resolveSession(token: string): Promise<{ user: User; csrfToken: string } | undefined> {
    const session = await this.sessions.findOneBy({ tokenHash: sha256(token) });
    if (!session || session.expiresAt <= nowIso()) return undefined;
    const user = await this.users.findOneBy({ id: session.userId });
    return user ? { user, csrfToken: session.csrfToken } : undefined;
  }

  async logout(token: string): Promise<void> {
    await this.sessions.delete({ tokenHash: sha256(token) });
  }
}
