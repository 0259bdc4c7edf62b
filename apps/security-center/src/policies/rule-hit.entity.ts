import { Column, Entity, PrimaryColumn } from 'typeorm';
import { BigCountColumn, TimeColumn } from '../database/columns';

/** How often an application-control rule decided a lookup (rule ids are unique across groups). */
@Entity('rule_hits')
export class RuleHit {
  @PrimaryColumn({ type: 'varchar', length: 64 }) ruleId!: string;
  @Column({ type: 'varchar', length: 100 }) groupId!: string;
  @BigCountColumn() hits!: number;
  @TimeColumn(true) lastHitAt!: string | null;
}
