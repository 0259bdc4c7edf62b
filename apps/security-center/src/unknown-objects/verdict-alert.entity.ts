import type { Verdict } from '@ksn/contracts';
import { Column, Entity, Index } from 'typeorm';
import { HashColumn, IdColumn, TimeColumn } from '../database/columns';

/** An upstream verdict change for an object seen in the network. Several proxies report the same change once. */
@Entity('verdict_alerts')
@Index('UQ_verdict_alerts_change', ['keyHash', 'at', 'toVerdict'], { unique: true })
@Index('IDX_verdict_alerts_ack', ['acknowledgedAt'])
export class VerdictAlert {
  @IdColumn() id!: string;
  @HashColumn() keyHash!: string;
  @Column({ type: 'text' }) objectKey!: string;
  @Column({ type: 'varchar', length: 16 }) fromVerdict!: Verdict;
  @Column({ type: 'varchar', length: 16 }) toVerdict!: Verdict;
  @TimeColumn() at!: string;
  @Column({ type: 'varchar', length: 36 }) proxyId!: string;
  @TimeColumn(true) acknowledgedAt!: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) acknowledgedBy!: string | null;
}
