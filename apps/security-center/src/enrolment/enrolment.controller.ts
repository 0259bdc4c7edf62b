import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  CreatedEnrolmentToken,
  CreateEnrolmentTokenRequest,
  EnrolmentTokenView,
  EnrolRequest,
  SigningKeyView,
  TokenRefreshRequest,
  TokenResponse,
} from '@ksn/contracts';
import { Type } from '@sinclair/typebox';
import { actorOf, ProxyOnly, Public, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { SchemaPipe } from '../common/schema.pipe';
import { EnrolmentService } from './enrolment.service';

@Controller('api/v1')
export class EnrolmentController {
  constructor(private readonly enrolment: EnrolmentService) {}

  /** A device trades an enrolment token for its device token. */
  @Public()
  @Post('enrol')
  @HttpCode(201)
  @Api({
    summary: 'Device enrolment: an enrolment token for a device token',
    body: EnrolRequest,
    response: TokenResponse,
    status: 201,
  })
  enrol(@Body(new SchemaPipe(EnrolRequest)) body: EnrolRequest): Promise<TokenResponse> {
    return this.enrolment.enrol(body.enrolmentToken, body.deviceName);
  }

  /** A proxy renews a device's token (the device asked the proxy). */
  @ProxyOnly()
  @Post('proxy/token-refresh')
  @HttpCode(200)
  @Api({
    summary: 'Proxy: renew a device token (401 invalid_token, 403 device_revoked)',
    body: TokenRefreshRequest,
    response: TokenResponse,
  })
  refresh(@Body(new SchemaPipe(TokenRefreshRequest)) body: TokenRefreshRequest): Promise<TokenResponse> {
    return this.enrolment.refresh(body.token);
  }

  @Get('enrolment-tokens')
  @Roles('admin', 'operator', 'auditor')
  @Api({ summary: 'Enrolment tokens (without the secrets)', response: Type.Array(EnrolmentTokenView) })
  listTokens(): Promise<EnrolmentTokenView[]> {
    return this.enrolment.listTokens();
  }

  @Post('enrolment-tokens')
  @Roles('admin', 'operator')
  @Api({
    summary: 'Create an enrolment token (shown once)',
    body: CreateEnrolmentTokenRequest,
    response: CreatedEnrolmentToken,
    status: 201,
  })
  createToken(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(CreateEnrolmentTokenRequest)) body: CreateEnrolmentTokenRequest,
  ): Promise<CreatedEnrolmentToken> {
    return this.enrolment.createTokenFor(actorOf(req), body);
  }

  @Delete('enrolment-tokens/:id')
  @HttpCode(204)
  @Roles('admin', 'operator')
  @Api({ summary: 'Delete an enrolment token' })
  async deleteToken(@Req() req: AuthedRequest, @Param('id') id: string): Promise<void> {
    await this.enrolment.deleteToken(actorOf(req), id);
  }

  @Get('signing-keys')
  @Api({ summary: 'Device-token signing keys (public parts)', response: Type.Array(SigningKeyView) })
  listKeys(): Promise<SigningKeyView[]> {
    return this.enrolment.listKeys();
  }

  @Post('signing-keys/rotate')
  @HttpCode(201)
  @Roles('admin')
  @Api({
    summary: 'Rotate the signing key; tokens signed by the old key stay valid until they expire',
    response: SigningKeyView,
    status: 201,
  })
  rotate(@Req() req: AuthedRequest): Promise<SigningKeyView> {
    return this.enrolment.rotateKey(actorOf(req));
  }
}
