import { Column, Entity, Index } from 'typeorm';
import { IdColumn, TimeColumn } from '../database/columns';

/** One change: who, when, what, before and after. Inserted only; the API has no route that changes it. */
@Entity('audit_log')
@Index('IDX_audit_log_at', ['at'])
@Index('IDX_audit_log_actor', ['actor', 'at'])
@Index('IDX_audit_log_object', ['objectType', 'objectId'])
export class AuditEntry {
  @IdColumn() id!: string;
  @TimeColumn() at!: string;
  @Column({ type: 'varchar', length: 120 }) actor!: string;
  @Column({ type: 'varchar', length: 64 }) action!: string;
  @Column({ type: 'varchar', length: 32 }) objectType!: string;
  @Column({ type: 'varchar', length: 100 }) objectId!: string;
  /** `json`: JSON text, LONGTEXT on MySQL (they can hold whole policies; see migration LongJson). */
  @Column({ type: 'json', nullable: true }) before!: object | null;
  @Column({ type: 'json', nullable: true }) after!: object | null;
}
