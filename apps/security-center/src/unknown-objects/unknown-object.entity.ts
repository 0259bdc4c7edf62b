import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { CountColumn, TimeColumn } from '../database/columns';

/** An object proxies answered `unknown`, with its in-network prevalence. */
@Entity('unknown_objects')
@Index('IDX_unknown_objects_devices', ['devices'])
export class UnknownObject {
  /** SHA-256 of `objectKey`. */
  @PrimaryColumn({ type: 'varchar', length: 64 }) keyHash!: string;
  @Column({ type: 'text' }) objectKey!: string;
  @TimeColumn() firstSeen!: string;
  @TimeColumn() lastSeen!: string;
  /** Distinct devices that asked (count of unknown_object_devices rows). */
  @CountColumn() devices!: number;
}

/** Which devices asked about an unknown object: one row per (object, device). */
@Entity('unknown_object_devices')
export class UnknownObjectDevice {
  @PrimaryColumn({ type: 'varchar', length: 64 }) keyHash!: string;
  @PrimaryColumn({ type: 'varchar', length: 100 }) deviceId!: string;
}
