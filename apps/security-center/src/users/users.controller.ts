import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import {
  ApiTokenView,
  CreateApiTokenRequest,
  CreatedApiToken,
  CreateUserRequest,
  UpdateUserRequest,
  UserView,
} from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { SchemaPipe } from '../common/schema.pipe';
import { UsersService } from './users.service';

/** Users and API tokens: admins only (operators manage policies and devices, not users). */
@Controller('api/v1')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('users')
  @Api({ summary: 'Console users', response: Type.Array(UserView) })
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  @Post('users')
  @Api({
    summary: 'Create a user (password at least 12 characters; stored as argon2id)',
    body: CreateUserRequest,
    response: UserView,
    status: 201,
  })
  create(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateUserRequest)) body: CreateUserRequest,
  ): Promise<UserView> {
    return this.users.create(actorOf(req), body);
  }

  @Patch('users/:id')
  @Api({
    summary: "Change role or password (ends the user's sessions)",
    body: UpdateUserRequest,
    response: UserView,
  })
  update(
    @Req() req: AuthedRequest,
    @Param('id') id: string,
    @Body(new SchemaPipe(UpdateUserRequest)) body: UpdateUserRequest,
  ): Promise<UserView> {
    return this.users.update(actorOf(req), id, body);
  }

  @Delete('users/:id')
  @HttpCode(204)
  @Api({ summary: 'Delete a user (not yourself, not the last admin)' })
  async remove(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.users.remove(actorOf(req), id);
  }

  @Get('api-tokens')
  @Api({ summary: 'API tokens for automation (without the secrets)', response: Type.Array(ApiTokenView) })
  listTokens(): Promise<ApiTokenView[]> {
    return this.users.listTokens();
  }

  @Post('api-tokens')
  @Api({
    summary: 'Create an API token with a role; use it as `Authorization: Bearer kt_…` (shown once)',
    body: CreateApiTokenRequest,
    response: CreatedApiToken,
    status: 201,
  })
  createToken(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateApiTokenRequest)) body: CreateApiTokenRequest,
  ): Promise<CreatedApiToken> {
    return this.users.createToken(actorOf(req), body);
  }

  @Delete('api-tokens/:id')
  @HttpCode(204)
  @Api({ summary: 'Revoke an API token' })
  async deleteToken(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.users.deleteToken(actorOf(req), id);
  }
}
