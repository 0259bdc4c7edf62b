import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { RefColumn, TimeColumn } from '../database/columns';

/** Server-side console session. The cookie holds a random token; only its SHA-256 is stored. */
@Entity('sessions')
@Index('IDX_sessions_user', ['userId'])
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 64 }) tokenHash!: string;
  @RefColumn() userId!: string;
  @Column({ type: 'varchar', length: 64 }) csrfToken!: string;
  @TimeColumn() createdAt!: string;
  @TimeColumn() expiresAt!: string;
}
