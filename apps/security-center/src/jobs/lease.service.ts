import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobLease } from './job-lease.entity';

/**
 * Leases on background jobs, in the database: of several security-center instances on one
 * database, only the holder of a job's unexpired lease runs it.
 */
@Injectable()
export class LeaseService {
  /** This process. */
  readonly holder = randomUUID();

  constructor(private readonly db: DataSource) {}

  /** Takes (or renews) the lease for `ms`; false when another instance holds it. */
  async acquire(name: string, ms: number, now = Date.now()): Promise<boolean> {
    const nowIso = new Date(now).toISOString();
    const expiresAt = new Date(now + ms).toISOString();
    const taken = await this.db
      .createQueryBuilder()
      .update(JobLease)
      .set({ holder: this.holder, expiresAt })
      .where('name = :name AND (holder = :holder OR expiresAt <= :now)', {
        name,
        holder: this.holder,
        now: nowIso,
      })
      .execute();
    if ((taken.affected ?? 0) > 0) return true;
    await this.db
      .createQueryBuilder()
      .insert()
      .into(JobLease)
      .values({ name, holder: this.holder, expiresAt })
      .orIgnore()
      .execute();
    // orIgnore reports nothing portable about a skipped row: read back who holds it.
    const row = await this.db.getRepository(JobLease).findOneBy({ name });
    return row?.holder === this.holder;
  }

  async release(name: string): Promise<void> {
    await this.db.getRepository(JobLease).delete({ name, holder: this.holder });
  }
}
