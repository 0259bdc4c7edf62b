import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimeColumn } from '../database/columns';

/**
 * One row: the version of everything compiled into the snapshot. Every change
 * that affects proxies bumps it in the same transaction, so all instances of
 * security-center agree on the version (and on the ETag).
 */
@Entity('snapshot_state')
export class SnapshotState {
  @PrimaryColumn({ type: 'integer' }) id!: number;
  @Column({ type: 'integer' }) version!: number;
  @TimeColumn() changedAt!: string;
}
