import type { Role } from '@ksn/contracts';
import { Column, Entity, Index } from 'typeorm';
import { CountColumn, IdColumn, TimeColumn } from '../database/columns';

@Entity('users')
@Index('UQ_users_username', ['username'], { unique: true })
export class User {
  @IdColumn() id!: string;
  @Column({ type: 'varchar', length: 100 }) username!: string;
  /** argon2id PHC string. */
  @Column({ type: 'varchar', length: 255 }) passwordHash!: string;
  @Column({ type: 'varchar', length: 16 }) role!: Role;
  @CountColumn() failedLogins!: number;
  @TimeColumn(true) lockedUntil!: string | null;
  @TimeColumn() createdAt!: string;
}
