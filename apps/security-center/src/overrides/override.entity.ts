import type { OverrideAction } from '@ksn/contracts';
import { Column, Entity, Index } from 'typeorm';
import { HashColumn, IdColumn, TimeColumn } from '../database/columns';

/** An admin decision on one object (hash or URL) that wins over verdicts and rules. */
@Entity('overrides')
@Index('UQ_overrides_key_hash', ['keyHash'], { unique: true })
export class OverrideEntity {
  @IdColumn() id!: string;
  /** SHA-256 of `objectKey`: URLs can be longer than an indexable column. */
  @HashColumn() keyHash!: string;
  @Column({ type: 'text' }) objectKey!: string;
  @Column({ type: 'varchar', length: 8 }) action!: OverrideAction;
  @Column({ type: 'text' }) comment!: string;
  @Column({ type: 'varchar', length: 100 }) author!: string;
  @TimeColumn() createdAt!: string;
  @TimeColumn(true) expiresAt!: string | null;
}
