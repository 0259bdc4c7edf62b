import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

// JSON documents larger than 64 KB: group policies (the contract allows 10,000 rules in a
// 1 MB body), the audit log's before/after (which hold whole policies) and the category tree
// synced from the upstream (read up to 16 MiB). TEXT holds 64 KB
// on MySQL (a longer value is a 500, or is cut short outside strict mode); LONGTEXT 4 GB.
// The entities type these columns `json`: TypeORM stores it as JSON text on every engine and
// accepts LONGTEXT for it on MySQL and MariaDB.
//
// MySQL: `ALTER TABLE … MODIFY`, the one dialect-specific statement in the migrations, because
// the schema API's changeColumn drops and re-adds a column whose type changes (losing its data).
// SQLite TEXT has no such limit; only the declared type changes (to `json`, as TypeORM declares
// it), through the schema API, which there rebuilds the table and copies the rows.
const COLUMNS = [
  { table: 'admin_groups', column: 'policy', nullable: false },
  { table: 'audit_log', column: 'before', nullable: true },
  { table: 'audit_log', column: 'after', nullable: true },
  { table: 'category_tree', column: 'categories', nullable: false },
] as const;

export class LongJson1795900000000 implements MigrationInterface {
  name = 'LongJson1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await change(q, isSqlite(q) ? 'json' : 'longtext');
  }

  async down(q: QueryRunner): Promise<void> {
    await change(q, 'text');
  }
}

const isSqlite = (q: QueryRunner) => q.connection.options.type === 'better-sqlite3';

async function change(q: QueryRunner, type: string): Promise<void> {
  const esc = (name: string) => q.connection.driver.escape(name);
  for (const name of new Set(COLUMNS.map((c) => c.table))) {
    const columns = COLUMNS.filter((c) => c.table === name);
    if (!isSqlite(q)) {
      const modify = columns.map(
        (c) => `MODIFY ${esc(c.column)} ${type} ${c.nullable ? 'NULL' : 'NOT NULL'}`,
      );
      await q.query(`ALTER TABLE ${esc(name)} ${modify.join(', ')}`);
      continue;
    }
    const table = await q.getTable(name);
    if (!table) throw new Error(`table ${name} is missing`);
    // One call per table: SQLite rebuilds the table once for all its changed columns.
    await q.changeColumns(
      table,
      columns.map(({ column, nullable }) => {
        const oldColumn = table.findColumnByName(column);
        if (!oldColumn) throw new Error(`column ${name}.${column} is missing`);
        return { oldColumn, newColumn: new TableColumn({ name: column, type, isNullable: nullable }) };
      }),
    );
  }
}
