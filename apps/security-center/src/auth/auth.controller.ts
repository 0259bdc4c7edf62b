import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { LoginRequest, type Me } from '@ksn/contracts';
import type { Response } from 'express';
import { SchemaPipe } from '../common/schema.pipe';
import { CONFIG, type Config } from '../config';
import { Public, readCookie, SESSION_COOKIE, type AuthedRequest } from './access';
import { AuthService } from './auth.service';

@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body(new SchemaPipe(LoginRequest)) body: LoginRequest, @Res({ passthrough: true }) res: Response): Promise<Me> {
    const { token, me, expiresAt } = await this.auth.login(body.username, body.password);
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.COOKIE_SECURE,
      path: '/',
      expires: expiresAt,
    });
    return me;
  }

  @Get('me')
  me(@Req() req: AuthedRequest): Me {
    const user = req.auth.user!;
    return { username: user.username, role: user.role, csrfToken: req.auth.csrfToken! };
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = readCookie(req, SESSION_COOKIE);
    if (token) await this.auth.logout(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}
