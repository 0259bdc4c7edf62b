import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { DevicePage, DeviceView, MoveDevicesRequest, MoveDevicesResponse } from '@ksn/contracts';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { paging, stringParam } from '../common/query';
import { SchemaPipe } from '../common/schema.pipe';
import { DevicesService } from './devices.service';

@Controller('api/v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @Api({
    summary: 'Devices, optionally of one group',
    response: DevicePage,
    query: ['groupId', 'limit', 'offset'],
  })
  list(
    @Query('groupId') groupId?: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<DevicePage> {
    return this.devices.list(stringParam('groupId', groupId, 64), paging(limit, offset));
  }

  @Get(':id')
  @Api({ summary: 'One device', response: DeviceView })
  get(@Param('id') id: string): Promise<DeviceView> {
    return this.devices.get(id);
  }

  @Post('move')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @Api({ summary: 'Move devices to another group', body: MoveDevicesRequest, response: MoveDevicesResponse })
  move(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(MoveDevicesRequest)) body: MoveDevicesRequest,
  ): Promise<MoveDevicesResponse> {
    return this.devices.move(actorOf(req), body);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Roles('admin', 'operator')
  @Api({
    summary: 'Revoke a device: proxies refuse its token from the next snapshot on',
    response: DeviceView,
  })
  revoke(@Req() req: AuthedRequest, @Param('id') id: string): Promise<DeviceView> {
    return this.devices.revoke(actorOf(req), id);
  }
}
