import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { AdminGroup } from '../groups/group.entity';
import { Device } from '../devices/device.entity';
import { EnrolmentToken } from '../enrolment/enrolment-token.entity';
import { SigningKey } from '../enrolment/signing-key.entity';
import { ProxyEntity } from '../proxies/proxy.entity';
import { TrafficMinute } from '../proxies/traffic-minute.entity';
import { Session } from '../auth/session.entity';
import { User } from '../auth/user.entity';
import { SnapshotState } from '../snapshot/snapshot-state.entity';
import { Initial1795700000000 } from './migrations/1795700000000-initial';
import { Management1795800000000 } from './migrations/1795800000000-management';
import { LongJson1795900000000 } from './migrations/1795900000000-long-json';
import { OverrideEntity } from '../overrides/override.entity';
import { UnknownObject, UnknownObjectDevice } from '../unknown-objects/unknown-object.entity';
import { VerdictAlert } from '../unknown-objects/verdict-alert.entity';
import { RuleHit } from '../policies/rule-hit.entity';
import { TrafficLog } from '../proxies/traffic-log.entity';
import { TrafficHour } from '../proxies/traffic-hour.entity';
import { CategoryTree } from '../categories/category-tree.entity';
import { JobLease } from '../jobs/job-lease.entity';
import { AuditEntry } from '../audit/audit-entry.entity';
import { ApiToken } from '../users/api-token.entity';

export const ENTITIES = [
  User,
  Session,
  AdminGroup,
  Device,
  EnrolmentToken,
  SigningKey,
  ProxyEntity,
  TrafficMinute,
  SnapshotState,
  OverrideEntity,
  UnknownObject,
  UnknownObjectDevice,
  VerdictAlert,
  RuleHit,
  TrafficLog,
  TrafficHour,
  CategoryTree,
  JobLease,
  AuditEntry,
  ApiToken,
];
export const MIGRATIONS = [Initial1795700000000, Management1795800000000, LongJson1795900000000];

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
}

/**
 * TypeORM options from DATABASE_URL. Migrations run at start-up; `synchronize`
 * is never used. The MySQL pool has a finite queue and timeouts so requests
 * fail fast while the database is down and recover when it returns.
 */
export function dataSourceOptions({ url, poolSize = 10 }: DatabaseOptions): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  } as const;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: path,
      // WAL lets readers run beside the single writer; busy_timeout waits out short write locks.
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    return {
      ...common,
      // mariadb:// selects TypeORM's MariaDB dialect (it reads column defaults differently).
      type: url.startsWith('mariadb://') ? 'mariadb' : 'mysql',
      url: url.replace(/^mariadb:/, 'mysql:'),
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      connectTimeout: 5000,
      poolSize,
      extra: { connectionLimit: poolSize, queueLimit: 100, waitForConnections: true, enableKeepAlive: true },
    };
  }
  throw new Error('DATABASE_URL must start with sqlite:, mysql:// or mariadb://');
}
