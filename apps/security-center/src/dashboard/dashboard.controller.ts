import { Controller, Get, Query } from '@nestjs/common';
import type { DashboardResponse } from '@ksn/contracts';
import { ApiError } from '../common/api-error';
import { DashboardService } from './dashboard.service';

@Controller('api/v1/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  get(@Query('minutes') minutesRaw: string | undefined): Promise<DashboardResponse> {
    const minutes = minutesRaw === undefined ? 60 : Number(minutesRaw);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 30 * 24 * 60) {
      throw new ApiError('invalid_request', 'minutes must be a whole number from 1 to 43200', 'minutes');
    }
    return this.dashboard.summary(minutes);
  }
}
