import { Column, Entity, Index } from 'typeorm';
import { CountColumn, IdColumn, RefColumn, TimeColumn } from '../database/columns';

/** A token devices trade for a device token. Only its SHA-256 is stored. */
@Entity('enrolment_tokens')
@Index('UQ_enrolment_tokens_hash', ['tokenHash'], { unique: true })
export class EnrolmentToken {
  @IdColumn() id!: string;
  @Column({ type: 'varchar', length: 64 }) tokenHash!: string;
  @RefColumn() groupId!: string;
  @Column({ type: 'varchar', length: 200 }) label!: string;
  @TimeColumn(true) expiresAt!: string | null;
  @Column({ type: 'integer', nullable: true }) maxUses!: number | null;
  @CountColumn() uses!: number;
  @TimeColumn() createdAt!: string;
}
