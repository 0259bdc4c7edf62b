import type { CategoryNode } from '@ksn/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TimeColumn } from '../database/columns';

/** The application category tree as last synced from the upstream (one row, id 1). */
@Entity('category_tree')
export class CategoryTree {
  @PrimaryColumn({ type: 'integer' }) id!: number;
  /** `json`: JSON text, LONGTEXT on MySQL (a large upstream tree outgrows TEXT's 64 KB; migration LongJson). */
  @Column({ type: 'json' }) categories!: CategoryNode[];
  @TimeColumn() syncedAt!: string;
}
