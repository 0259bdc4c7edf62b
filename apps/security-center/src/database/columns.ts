import { Column, PrimaryColumn } from 'typeorm';

/**
 * Column kinds shared by every entity, chosen to mean the same on SQLite and
 * MySQL: ids are UUID strings, timestamps ISO-8601 UTC strings (they sort
 * correctly as text and never go through a driver's time-zone handling).
 */
export const IdColumn = () => PrimaryColumn({ type: 'varchar', length: 36 });
export const RefColumn = (nullable = false) => Column({ type: 'varchar', length: 36, nullable });
export const TimeColumn = (nullable = false) => Column({ type: 'varchar', length: 24, nullable });
export const NameColumn = () => Column({ type: 'varchar', length: 200 });
export const CountColumn = () => Column({ type: 'integer', default: 0 });

export const nowIso = (): string => new Date().toISOString();

/** bigint that reads back as a JS number (safe up to 2^53: years of traffic). */
export const BigCountColumn = () =>
  Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) },
  });
/** SHA-256 hex of a long value (object keys, secrets): fits a unique index on every engine. */
export const HashColumn = () => Column({ type: 'varchar', length: 64 });
