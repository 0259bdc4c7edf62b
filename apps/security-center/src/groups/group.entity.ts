import type { GroupPolicy } from '@ksn/contracts';
import { Column, Entity, Index } from 'typeorm';
import { IdColumn, NameColumn, RefColumn, TimeColumn } from '../database/columns';

/** An administration group; `policy` holds the sections it sets and locks. */
@Entity('admin_groups')
@Index('IDX_admin_groups_parent', ['parentId'])
export class AdminGroup {
  @IdColumn() id!: string;
  @NameColumn() name!: string;
  @RefColumn(true) parentId!: string | null;
  /** `json`: JSON text, LONGTEXT on MySQL (policies outgrow TEXT's 64 KB; see migration LongJson). */
  @Column({ type: 'json' }) policy!: GroupPolicy;
  /** Optimistic concurrency: incremented on every change. */
  @Column({ type: 'integer', default: 1 }) version!: number;
  @TimeColumn() createdAt!: string;
  @TimeColumn() updatedAt!: string;
}
