import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

// Issue 3: overrides, unknown objects and alerts, rule hits, traffic log and roll-ups,
// category tree, job leases, audit log, API tokens. Same portable schema API as the initial migration.
const id = (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true });
const pk = (name: string, length: number): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isPrimary: true,
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
const big = (name: string): TableColumnOptions => ({ name, type: 'bigint', default: 0 });
const text = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: nullable,
});

export const COUNTER_COLUMNS = [
  'lookups',
  'cacheHits',
  'upstreamRequests',
  'upstreamErrors',
  'staleAnswers',
  'bytesSaved',
  'telemetryForwarded',
  'telemetryBlocked',
];

export class Management1795800000000 implements MigrationInterface {
  name = 'Management1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'overrides',
        columns: [
          id(),
          str('keyHash', 64),
          text('objectKey'),
          str('action', 8),
          text('comment'),
          str('author', 100),
          time('createdAt'),
          time('expiresAt', true),
        ],
        indices: [
          new TableIndex({ name: 'UQ_overrides_key_hash', columnNames: ['keyHash'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'unknown_objects',
        columns: [
          pk('keyHash', 64),
          text('objectKey'),
          time('firstSeen'),
          time('lastSeen'),
          count('devices'),
        ],
        indices: [new TableIndex({ name: 'IDX_unknown_objects_devices', columnNames: ['devices'] })],
      }),
    );
    await q.createTable(
      new Table({ name: 'unknown_object_devices', columns: [pk('keyHash', 64), pk('deviceId', 100)] }),
    );
    await q.createTable(
      new Table({
        name: 'verdict_alerts',
        columns: [
          id(),
          str('keyHash', 64),
          text('objectKey'),
          str('fromVerdict', 16),
          str('toVerdict', 16),
          time('at'),
          str('proxyId', 36),
          time('acknowledgedAt', true),
          str('acknowledgedBy', 100, true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_verdict_alerts_change',
            columnNames: ['keyHash', 'at', 'toVerdict'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_verdict_alerts_ack', columnNames: ['acknowledgedAt'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'rule_hits',
        columns: [pk('ruleId', 64), str('groupId', 100), big('hits'), time('lastHitAt', true)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'traffic_log',
        columns: [
          pk('proxyId', 36),
          pk('minute', 24),
          pk('kind', 16),
          big('requests'),
          big('items'),
          big('bytesSent'),
          big('bytesReceived'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'traffic_hours',
        columns: [pk('proxyId', 36), pk('hour', 24), ...COUNTER_COLUMNS.map(big)],
      }),
    );
    await q.createTable(
      new Table({
        name: 'category_tree',
        columns: [{ name: 'id', type: 'integer', isPrimary: true }, text('categories'), time('syncedAt')],
      }),
    );
    await q.createTable(
      new Table({ name: 'job_leases', columns: [pk('name', 64), str('holder', 64), time('expiresAt')] }),
    );
    await q.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          id(),
          time('at'),
          str('actor', 120),
          str('action', 64),
          str('objectType', 32),
          str('objectId', 100),
          text('before', true),
          text('after', true),
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_log_at', columnNames: ['at'] }),
          new TableIndex({ name: 'IDX_audit_log_actor', columnNames: ['actor', 'at'] }),
          new TableIndex({ name: 'IDX_audit_log_object', columnNames: ['objectType', 'objectId'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          id(),
          str('name', 200),
          str('tokenHash', 64),
          str('role', 16),
          str('createdBy', 100),
          time('createdAt'),
          time('expiresAt', true),
          time('lastUsedAt', true),
        ],
        indices: [new TableIndex({ name: 'UQ_api_tokens_hash', columnNames: ['tokenHash'], isUnique: true })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'api_tokens',
      'audit_log',
      'job_leases',
      'category_tree',
      'traffic_hours',
      'traffic_log',
      'rule_hits',
      'verdict_alerts',
      'unknown_object_devices',
      'unknown_objects',
      'overrides',
    ]) {
      await q.dropTable(t);
    }
  }
}
