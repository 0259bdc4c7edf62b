import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { Heartbeat, Snapshot } from '@ksn/contracts';
import { Api } from '../common/openapi';
import type { Response } from 'express';
import { ProxyOnly, type AuthedRequest } from '../auth/access';
import { ApiError } from '../common/api-error';
import { SchemaPipe } from '../common/schema.pipe';
import { SnapshotService } from '../snapshot/snapshot.service';
import { ProxiesService } from './proxies.service';

const MAX_WAIT_SECONDS = 60;

/** What proxies call: the compiled snapshot (ETag + long-poll) and heartbeats. */
@Controller('api/v1/proxy')
@ProxyOnly()
export class ProxyApiController {
  constructor(
    private readonly snapshots: SnapshotService,
    private readonly proxies: ProxiesService,
  ) {}

  @Get('snapshot')
  @Api({
    summary: 'Proxy: the compiled snapshot; ETag, If-None-Match (304) and long-poll ?wait=0..60',
    response: Snapshot,
    query: ['wait'],
  })
  async snapshot(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Query('wait') waitRaw: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    let wait = 0;
    if (waitRaw !== undefined) {
      if (!/^\d{1,3}$/.test(waitRaw) || Number(waitRaw) > MAX_WAIT_SECONDS) {
        throw new ApiError(
          'invalid_request',
          `wait must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`,
          'wait',
        );
      }
      wait = Number(waitRaw);
    }
    let current = await this.snapshots.current();
    if (ifNoneMatch === current.etag && wait > 0) {
      // Long-poll: answer as soon as the version changes, or 304 when the wait is over.
      const closed = new Promise<void>((resolve) => res.on('close', resolve));
      current = await this.snapshots.waitForChange(current.version, wait * 1000, closed);
    }
    res.setHeader('ETag', current.etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (ifNoneMatch === current.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).type('application/json').send(current.body);
  }

  @Post('heartbeat')
  @HttpCode(204)
  @Api({
    summary: 'Proxy: heartbeat with counters, unknown objects, rule hits, verdict changes and traffic',
    body: Heartbeat,
  })
  async heartbeat(
    @Req() req: AuthedRequest,
    @Body(new SchemaPipe(Heartbeat)) beat: Heartbeat,
  ): Promise<void> {
    await this.proxies.recordHeartbeat(req.auth.proxy!, beat);
  }
}
