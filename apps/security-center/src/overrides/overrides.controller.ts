import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CreateOverrideRequest, OverrideView } from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { SchemaPipe } from '../common/schema.pipe';
import { OverridesService } from './overrides.service';

@Controller('api/v1/overrides')
export class OverridesController {
  constructor(private readonly overrides: OverridesService) {}

  @Get()
  @Api({ summary: 'Admin overrides (allow/block by hash or URL)', response: Type.Array(OverrideView) })
  list(): Promise<OverrideView[]> {
    return this.overrides.list();
  }

  @Post()
  @Roles('admin', 'operator')
  @Api({
    summary: 'Allow or block one object by hash or URL, with a comment and optional expiry',
    body: CreateOverrideRequest,
    response: OverrideView,
    status: 201,
  })
  create(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateOverrideRequest)) body: CreateOverrideRequest,
  ): Promise<OverrideView> {
    return this.overrides.create(actorOf(req), body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin', 'operator')
  @Api({ summary: 'Delete an override' })
  async delete(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.overrides.delete(actorOf(req), id);
  }
}
