import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { CreatedProxy, CreateProxyRequest, ProxyDetail, ProxyStatus, TrafficLogEntry } from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { intParam } from '../common/query';
import { SchemaPipe } from '../common/schema.pipe';
import { ProxiesService } from './proxies.service';

/** Console: registered proxies, their health and traffic. */
@Controller('api/v1/proxies')
export class ProxiesController {
  constructor(private readonly proxies: ProxiesService) {}

  @Get()
  @Api({ summary: 'Registered proxies and their last heartbeat', response: Type.Array(ProxyStatus) })
  list(): Promise<ProxyStatus[]> {
    return this.proxies.statuses();
  }

  @Post()
  @Roles('admin')
  @Api({
    summary: 'Register a proxy; its API key is in this answer only',
    body: CreateProxyRequest,
    response: CreatedProxy,
    status: 201,
  })
  create(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateProxyRequest)) body: CreateProxyRequest,
  ): Promise<CreatedProxy> {
    return this.proxies.register(actorOf(req), body.name);
  }

  @Get(':id')
  @Api({ summary: 'Health of one proxy (connectivity self-test)', response: ProxyDetail })
  get(@Param('id') id: string): Promise<ProxyDetail> {
    return this.proxies.detail(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin')
  @Api({ summary: 'Remove a proxy; its API key stops working at once' })
  async delete(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.proxies.remove(actorOf(req), id);
  }

  @Get(':id/traffic')
  @Api({
    summary: 'Traffic log: what left the network through this proxy, per minute and kind',
    response: Type.Array(TrafficLogEntry),
    query: ['minutes'],
  })
  traffic(@Param('id') id: string, @Query('minutes') minutes?: string): Promise<TrafficLogEntry[]> {
    return this.proxies.traffic(id, intParam('minutes', minutes, 60, 1, 30 * 24 * 60));
  }
}
