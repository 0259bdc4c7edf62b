import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/access';
import { Metrics } from './metrics';

@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly metrics: Metrics,
  ) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready when the database answers. */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    try {
      await this.db.query('SELECT 1');
      res.status(200).json({ status: 'ready' });
    } catch {
      res.status(503).json({ error: 'unavailable', message: 'database unreachable' });
    }
  }

  @Get('metrics')
  async metricsText(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}
