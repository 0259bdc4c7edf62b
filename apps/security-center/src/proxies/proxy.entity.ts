import { Column, Entity, Index } from 'typeorm';
import { IdColumn, NameColumn, TimeColumn } from '../database/columns';

/** A registered ksn-proxy and what its last heartbeat said. */
@Entity('proxies')
@Index('UQ_proxies_api_key_hash', ['apiKeyHash'], { unique: true })
export class ProxyEntity {
  @IdColumn() id!: string;
  @NameColumn() name!: string;
  /** SHA-256 of the API key (the key is high-entropy random, shown once). */
  @Column({ type: 'varchar', length: 64 }) apiKeyHash!: string;
  @TimeColumn() createdAt!: string;
  @TimeColumn(true) lastHeartbeatAt!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) instanceId!: string | null;
  @Column({ type: 'varchar', length: 50, nullable: true }) version!: string | null;
  @Column({ type: 'integer', nullable: true }) snapshotVersion!: number | null;
  @Column({ type: 'integer', nullable: true }) cacheEntries!: number | null;
}
