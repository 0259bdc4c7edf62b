import { Entity, PrimaryColumn } from 'typeorm';
import { BigCountColumn } from '../database/columns';

/** Hourly roll-up of traffic_minutes older than the 30-day retention. */
@Entity('traffic_hours')
export class TrafficHour {
  @PrimaryColumn({ type: 'varchar', length: 36 }) proxyId!: string;
  /** Start of the hour, ISO-8601 UTC. */
  @PrimaryColumn({ type: 'varchar', length: 24 }) hour!: string;
  @BigCountColumn() lookups!: number;
  @BigCountColumn() cacheHits!: number;
  @BigCountColumn() upstreamRequests!: number;
  @BigCountColumn() upstreamErrors!: number;
  @BigCountColumn() staleAnswers!: number;
  @BigCountColumn() bytesSaved!: number;
  @BigCountColumn() telemetryForwarded!: number;
  @BigCountColumn() telemetryBlocked!: number;
}
