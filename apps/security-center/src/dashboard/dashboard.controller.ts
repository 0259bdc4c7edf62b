import { Controller, Get, Query } from '@nestjs/common';
import { DashboardResponse } from '@ksn/contracts';
import { ApiError } from '../common/api-error';
import { Api } from '../common/openapi';
import { DashboardService, RANGES } from './dashboard.service';

@Controller('api/v1/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @Api({
    summary:
      'Traffic, cache and telemetry totals, per proxy and as a series; ?minutes=1..43200 or ?range=hour|day|month',
    response: DashboardResponse,
    query: ['minutes', 'range'],
  })
  get(
    @Query('minutes') minutesRaw: string | undefined,
    @Query('range') range: string | undefined,
  ): Promise<DashboardResponse> {
    if (range !== undefined) {
      if (!Object.hasOwn(RANGES, range))
        throw new ApiError('invalid_request', 'range must be hour, day or month', 'range');
      return this.dashboard.summary(RANGES[range as keyof typeof RANGES]);
    }
    const minutes = minutesRaw === undefined ? 60 : Number(minutesRaw);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 30 * 24 * 60) {
      throw new ApiError('invalid_request', 'minutes must be a whole number from 1 to 43200', 'minutes');
    }
    return this.dashboard.summary(minutes);
  }
}
