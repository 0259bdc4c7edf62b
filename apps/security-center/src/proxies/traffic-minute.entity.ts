import { Column, Entity, PrimaryColumn } from 'typeorm';
import { CountColumn } from '../database/columns';

/** Per-proxy, per-minute sums of heartbeat counters (the console's charts). */
@Entity('traffic_minutes')
export class TrafficMinute {
  @PrimaryColumn({ type: 'varchar', length: 36 }) proxyId!: string;
  /** Start of the minute, ISO-8601 UTC. */
  @PrimaryColumn({ type: 'varchar', length: 24 }) minute!: string;
  @CountColumn() lookups!: number;
  @CountColumn() cacheHits!: number;
  @CountColumn() upstreamRequests!: number;
  @CountColumn() upstreamErrors!: number;
  @CountColumn() staleAnswers!: number;
  /** bigint: a busy proxy saves more than 2 GiB a minute. */
  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) },
  })
  bytesSaved!: number;
  @CountColumn() telemetryForwarded!: number;
  @CountColumn() telemetryBlocked!: number;
}
