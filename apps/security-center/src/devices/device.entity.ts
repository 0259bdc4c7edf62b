import { Entity, Index } from 'typeorm';
import { IdColumn, NameColumn, RefColumn, TimeColumn } from '../database/columns';

@Entity('devices')
@Index('IDX_devices_group', ['groupId'])
export class Device {
  @IdColumn() id!: string;
  @NameColumn() name!: string;
  @RefColumn() groupId!: string;
  @TimeColumn() enrolledAt!: string;
  @TimeColumn(true) lastSeenAt!: string | null;
  @TimeColumn(true) revokedAt!: string | null;
  /** When the device last moved to another group (proxies learn it from the snapshot). */
  @TimeColumn(true) groupChangedAt!: string | null;
}
