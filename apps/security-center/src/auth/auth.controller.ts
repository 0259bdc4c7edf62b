import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { LoginRequest, Me } from '@ksn/contracts';
import { Api } from '../common/openapi';
import type { Request, Response } from 'express';
import { ApiError } from '../common/api-error';
import { SchemaPipe } from '../common/schema.pipe';
import { CONFIG, type Config } from '../config';
import { Public, readCookie, SESSION_COOKIE, type AuthedRequest } from './access';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';

@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @Api({
    summary: 'Log in: sets the HttpOnly SameSite=Strict session cookie',
    body: LoginRequest,
    response: Me,
  })
  async login(
    @Body(new SchemaPipe(LoginRequest)) body: LoginRequest,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Me> {
    const client = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    this.throttle.check(client);
    let session: Awaited<ReturnType<AuthService['login']>>;
    try {
      session = await this.auth.login(body.username, body.password);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'unauthorized' || e.code === 'rate_limited'))
        this.throttle.failed(client);
      throw e;
    }
    const { token, me, expiresAt } = session;
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
  @Api({ summary: 'Who is logged in, with the CSRF token to send back on writes', response: Me })
  me(@Req() req: AuthedRequest): Me {
    // API tokens have no session, hence no CSRF token.
    return { username: req.auth.actor!, role: req.auth.role!, csrfToken: req.auth.csrfToken ?? '' };
  }

  @Post('logout')
  @HttpCode(204)
  @Api({ summary: 'Log out: the session is revoked server-side' })
  async logout(@Req() req: AuthedRequest, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = readCookie(req, SESSION_COOKIE);
    if (token) await this.auth.logout(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}
