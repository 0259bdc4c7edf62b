import { Injectable, Logger } from '@nestjs/common';
import { CategoriesResponse, type CategoriesView } from '@ksn/contracts';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { UpstreamClient } from '../common/upstream.client';
import { nowIso } from '../database/columns';
import { CategoryTree } from './category-tree.entity';

/** The application category tree, synced from the upstream's /v1/categories and stored. */
@Injectable()
export class CategoriesService {
  private readonly log = new Logger('categories');

  constructor(
    private readonly db: DataSource,
    private readonly upstream: UpstreamClient,
    private readonly audit: AuditService,
  ) {}

  async get(): Promise<CategoriesView> {
    const row = await this.db.getRepository(CategoryTree).findOneBy({ id: 1 });
    return { categories: row?.categories ?? [], syncedAt: row?.syncedAt ?? null };
  }

  /** Fetches and stores the tree; `actor` is audited (background syncs are `system`). */
  async sync(actor: string): Promise<CategoriesView> {
    const body = await this.upstream.get('/v1/categories', CategoriesResponse);
    if (!body) throw new ApiError('upstream_error', 'the upstream has no category tree');
    const syncedAt = nowIso();
    await this.db.transaction(async (tx) => {
      const before = await tx.findOneBy(CategoryTree, { id: 1 });
      if (before) await tx.update(CategoryTree, { id: 1 }, { categories: body.categories, syncedAt });
      else await tx.insert(CategoryTree, { id: 1, categories: body.categories, syncedAt });
      await this.audit.record(tx, {
        actor,
        action: 'categories.sync',
        objectType: 'categories',
        objectId: 'tree',
        before: { syncedAt: before?.syncedAt ?? null },
        after: { syncedAt, roots: body.categories.length },
      });
    });
    this.log.log(`category tree synced: ${body.categories.length} top-level categories`);
    return { categories: body.categories, syncedAt };
  }
}
