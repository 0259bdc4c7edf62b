import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimeColumn } from '../database/columns';

/** A lease on a background job, so that only one security-center instance runs it at a time. */
@Entity('job_leases')
export class JobLease {
  @PrimaryColumn({ type: 'varchar', length: 64 }) name!: string;
  @Column({ type: 'varchar', length: 64 }) holder!: string;
  @TimeColumn() expiresAt!: string;
}
