import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from './audit/audit.module';
import { AccessGuard } from './auth/access.guard';
import { AuthModule } from './auth/auth.module';
import { BootstrapService } from './bootstrap.service';
import { CategoriesModule } from './categories/categories.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import type { Config } from './config';
import { CoreModule } from './core/core.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { dataSourceOptions } from './database/data-source';
import { DevicesModule } from './devices/devices.module';
import { EnrolmentModule } from './enrolment/enrolment.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { OverridesModule } from './overrides/overrides.module';
import { PoliciesModule } from './policies/policies.module';
import { ProxiesModule } from './proxies/proxies.module';
import { ReputationModule } from './reputation/reputation.module';
import { UnknownObjectsModule } from './unknown-objects/unknown-objects.module';
import { UsersModule } from './users/users.module';

/** One module per domain folder; CoreModule (global) carries what they all share. */
@Module({})
export class AppModule {
  static forRoot(config: Config, options: { jobs?: boolean } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }),
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        CoreModule.forRoot(config),
        AuditModule,
        AuthModule,
        CategoriesModule,
        DashboardModule,
        DevicesModule,
        EnrolmentModule,
        GroupsModule,
        HealthModule,
        ...(options.jobs === false ? [] : [JobsModule]),
        OverridesModule,
        PoliciesModule,
        ProxiesModule,
        ReputationModule,
        UnknownObjectsModule,
        UsersModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_GUARD, useClass: AccessGuard },
        BootstrapService,
      ],
    };
  }
}
