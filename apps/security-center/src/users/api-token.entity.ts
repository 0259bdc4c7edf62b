import type { Role } from '@ksn/contracts';
import { Column, Entity, Index } from 'typeorm';
import { HashColumn, IdColumn, NameColumn, TimeColumn } from '../database/columns';

/** A bearer token for automation, with a role. Only its SHA-256 is stored. */
@Entity('api_tokens')
@Index('UQ_api_tokens_hash', ['tokenHash'], { unique: true })
export class ApiToken {
  @IdColumn() id!: string;
  @NameColumn() name!: string;
  @HashColumn() tokenHash!: string;
  @Column({ type: 'varchar', length: 16 }) role!: Role;
  @Column({ type: 'varchar', length: 100 }) createdBy!: string;
  @TimeColumn() createdAt!: string;
  @TimeColumn(true) expiresAt!: string | null;
  @TimeColumn(true) lastUsedAt!: string | null;
}
