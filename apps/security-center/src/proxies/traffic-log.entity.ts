import type { TrafficKind } from '@ksn/contracts';
import { Entity, PrimaryColumn } from 'typeorm';
import { BigCountColumn } from '../database/columns';

/** What left the network through a proxy, per minute and kind (kept 30 days). */
@Entity('traffic_log')
export class TrafficLog {
  @PrimaryColumn({ type: 'varchar', length: 36 }) proxyId!: string;
  @PrimaryColumn({ type: 'varchar', length: 24 }) minute!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) kind!: TrafficKind;
  @BigCountColumn() requests!: number;
  @BigCountColumn() items!: number;
  @BigCountColumn() bytesSent!: number;
  @BigCountColumn() bytesReceived!: number;
}
