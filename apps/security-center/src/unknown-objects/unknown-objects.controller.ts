import { Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { UnknownObjectPage, VerdictAlertView } from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { boolParam, paging } from '../common/query';
import { UnknownObjectsService } from './unknown-objects.service';

@Controller('api/v1')
export class UnknownObjectsController {
  constructor(private readonly unknown: UnknownObjectsService) {}

  @Get('unknown-objects')
  @Api({
    summary: 'Objects proxies answered `unknown`, most prevalent first',
    response: UnknownObjectPage,
    query: ['limit', 'offset'],
  })
  list(@Query('limit') limit?: string, @Query('offset') offset?: string): Promise<UnknownObjectPage> {
    return this.unknown.list(paging(limit, offset));
  }

  @Get('alerts')
  @Api({
    summary: 'Upstream verdict changes for objects seen in the network, newest first',
    response: Type.Array(VerdictAlertView),
    query: ['acknowledged', 'limit', 'offset'],
  })
  alerts(
    @Query('acknowledged') acknowledged?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<VerdictAlertView[]> {
    return this.unknown.alerts(boolParam('acknowledged', acknowledged), paging(limit, offset));
  }

  @Post('alerts/:id/acknowledge')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @Api({ summary: 'Acknowledge an alert', response: VerdictAlertView })
  acknowledge(@Req() req: AuthedRequest, @Param('id') id: string): Promise<VerdictAlertView> {
    return this.unknown.acknowledge(actorOf(req), id);
  }
}
