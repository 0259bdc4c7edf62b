import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

// Written with TypeORM's schema API (not raw SQL) so one migration serves SQLite and MySQL.
// The schema test checks that, after all migrations, the database matches the entities exactly.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const ref = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable: nullable,
});
const time = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '24',
  isNullable: nullable,
});
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const count = (name: string): TableColumnOptions => ({ name, type: 'integer', default: 0 });
const intNull = (name: string): TableColumnOptions => ({ name, type: 'integer', isNullable: true });
const text = (name: string): TableColumnOptions => ({ name, type: 'text' });

export class Initial1795700000000 implements MigrationInterface {
  name = 'Initial1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          id(),
          str('username', 100),
          str('passwordHash', 255),
          str('role', 16),
          count('failedLogins'),
          time('lockedUntil', true),
          time('createdAt'),
        ],
        indices: [new TableIndex({ name: 'UQ_users_username', columnNames: ['username'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { ...str('tokenHash', 64), isPrimary: true },
          ref('userId'),
          str('csrfToken', 64),
          time('createdAt'),
          time('expiresAt'),
        ],
        indices: [new TableIndex({ name: 'IDX_sessions_user', columnNames: ['userId'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'admin_groups',
        columns: [
          id(),
          str('name', 200),
          ref('parentId', true),
          text('policy'),
          { name: 'version', type: 'integer', default: 1 },
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [new TableIndex({ name: 'IDX_admin_groups_parent', columnNames: ['parentId'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'devices',
        columns: [
          id(),
          str('name', 200),
          ref('groupId'),
          time('enrolledAt'),
          time('lastSeenAt', true),
          time('revokedAt', true),
          time('groupChangedAt', true),
        ],
        indices: [new TableIndex({ name: 'IDX_devices_group', columnNames: ['groupId'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'enrolment_tokens',
        columns: [
          id(),
          str('tokenHash', 64),
          ref('groupId'),
          str('label', 200),
          time('expiresAt', true),
          intNull('maxUses'),
          count('uses'),
          time('createdAt'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_enrolment_tokens_hash', columnNames: ['tokenHash'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { ...str('kid', 36), isPrimary: true },
          text('privateKey'),
          text('publicKey'),
          time('createdAt'),
          time('retiredAt', true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'proxies',
        columns: [
          id(),
          str('name', 200),
          str('apiKeyHash', 64),
          time('createdAt'),
          time('lastHeartbeatAt', true),
          str('instanceId', 100, true),
          str('version', 50, true),
          intNull('snapshotVersion'),
          intNull('cacheEntries'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_proxies_api_key_hash', columnNames: ['apiKeyHash'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'traffic_minutes',
        columns: [
          { ...str('proxyId', 36), isPrimary: true },
          { ...str('minute', 24), isPrimary: true },
          ...['lookups', 'cacheHits', 'upstreamRequests', 'upstreamErrors', 'staleAnswers'].map(count),
          { name: 'bytesSaved', type: 'bigint', default: 0 },
          ...['telemetryForwarded', 'telemetryBlocked'].map(count),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'snapshot_state',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'version', type: 'integer' },
          time('changedAt'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'snapshot_state',
      'traffic_minutes',
      'proxies',
      'signing_keys',
      'enrolment_tokens',
      'devices',
      'admin_groups',
      'sessions',
      'users',
    ]) {
      await q.dropTable(t);
    }
  }
}
