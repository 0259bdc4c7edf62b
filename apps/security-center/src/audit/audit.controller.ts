import { Controller, Get, Query } from '@nestjs/common';
import { AuditPage } from '@ksn/contracts';
import { Api } from '../common/openapi';
import { instantParam, paging, stringParam } from '../common/query';
import { AuditService } from './audit.service';

/** Read-only: the audit log has no write route. */
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Api({
    summary: 'Audit log, newest first; filter by actor, object and time',
    response: AuditPage,
    query: ['actor', 'objectType', 'objectId', 'from', 'to', 'limit', 'offset'],
  })
  list(
    @Query('actor') actor?: string,
    @Query('objectType') objectType?: string,
    @Query('objectId') objectId?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<AuditPage> {
    return this.audit.list(
      {
        actor: stringParam('actor', actor, 120),
        objectType: stringParam('objectType', objectType, 32),
        objectId: stringParam('objectId', objectId, 100),
        from: instantParam('from', from),
        to: instantParam('to', to),
      },
      paging(limit, offset),
    );
  }
}
