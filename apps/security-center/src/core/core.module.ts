import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { UpstreamClient } from '../common/upstream.client';
import { CONFIG, type Config } from '../config';
import { Metrics } from '../health/metrics';
import { LeaseService } from '../jobs/lease.service';
import { SnapshotService } from '../snapshot/snapshot.service';

/** What every domain module uses: configuration, audit log, snapshot version, metrics, upstream, leases. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: Config): DynamicModule {
    const providers = [
      { provide: CONFIG, useValue: config },
      AuditService,
      LeaseService,
      Metrics,
      SnapshotService,
      UpstreamClient,
    ];
    return { module: CoreModule, providers, exports: providers };
  }
}
