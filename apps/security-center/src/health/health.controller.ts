import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access';
import { Metrics, probe } from './metrics';

@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly metrics: Metrics,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when the database answers. */
  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, else 503' })
  async readyz(@Res() res: Response): Promise<void> {
    if (await probe(this.db)) res.status(200).json({ status: 'ready' });
    else res.status(503).json({ error: 'unavailable', message: 'database unreachable' });
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (text format), including ksn_sc_database_up' })
  async metricsText(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}
