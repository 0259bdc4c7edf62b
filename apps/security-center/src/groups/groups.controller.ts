import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { CreateGroupRequest, GroupView, UpdateGroupRequest } from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { boolParam } from '../common/query';
import { SchemaPipe } from '../common/schema.pipe';
import { GroupsService } from './groups.service';

@Controller('api/v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get()
  @Api({ summary: 'All administration groups (a tree through parentId)', response: Type.Array(GroupView) })
  list(): Promise<GroupView[]> {
    return this.groups.list();
  }

  @Get(':id')
  @Api({ summary: 'One group', response: GroupView })
  get(@Param('id') id: string): Promise<GroupView> {
    return this.groups.get(id);
  }

  @Post()
  @Roles('admin', 'operator')
  @Api({ summary: 'Create a subgroup', body: CreateGroupRequest, response: GroupView, status: 201 })
  create(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateGroupRequest)) body: CreateGroupRequest,
  ): Promise<GroupView> {
    return this.groups.create(actorOf(req), body);
  }

  @Patch(':id')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Rename or move a group (send the version you read; 409 if stale)',
    body: UpdateGroupRequest,
    response: GroupView,
  })
  update(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdateGroupRequest)) body: UpdateGroupRequest,
  ): Promise<GroupView> {
    return this.groups.update(actorOf(req), id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Roles('admin', 'operator')
  @Api({
    summary: 'Delete an empty group, or its whole subtree with ?cascade=true (devices in it are revoked)',
    query: ['cascade'],
  })
  async delete(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Query('cascade') cascade?: string,
  ): Promise<void> {
    await this.groups.delete(actorOf(req), id, boolParam('cascade', cascade) ?? false);
  }
}
