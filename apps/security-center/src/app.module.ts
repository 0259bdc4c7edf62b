import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessGuard } from './auth/access.guard';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { Session } from './auth/session.entity';
import { User } from './auth/user.entity';
import { BootstrapService } from './bootstrap.service';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { CONFIG, type Config } from './config';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardService } from './dashboard/dashboard.service';
import { dataSourceOptions } from './database/data-source';
import { EnrolmentController } from './enrolment/enrolment.controller';
import { EnrolmentService } from './enrolment/enrolment.service';
import { GroupsService } from './groups/groups.service';
import { AdminGroup } from './groups/group.entity';
import { HealthController } from './health/health.controller';
import { Metrics } from './health/metrics';
import { ProxiesService } from './proxies/proxies.service';
import { ProxyApiController } from './proxies/proxy-api.controller';
import { ProxyEntity } from './proxies/proxy.entity';
import { SnapshotService } from './snapshot/snapshot.service';

@Module({})
export class AppModule {
  static forRoot(config: Config): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }), retryAttempts: 3, retryDelay: 1000 }),
        TypeOrmModule.forFeature([User, Session, AdminGroup, ProxyEntity]),
      ],
      controllers: [AuthController, DashboardController, EnrolmentController, HealthController, ProxyApiController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_GUARD, useClass: AccessGuard },
        AuthService,
        BootstrapService,
        DashboardService,
        EnrolmentService,
        GroupsService,
        Metrics,
        ProxiesService,
        SnapshotService,
      ],
    };
  }
}
