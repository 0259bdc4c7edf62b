import { Module } from '@nestjs/common';
import { ProxiesModule } from '../proxies/proxies.module';
import { UnknownObjectsModule } from '../unknown-objects/unknown-objects.module';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

@Module({
  controllers: [DashboardController],
  exports: [DashboardService],
  imports: [ProxiesModule, UnknownObjectsModule],
  providers: [DashboardService],
})
export class DashboardModule {}
