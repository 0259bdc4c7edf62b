import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UnknownObjectsModule } from '../unknown-objects/unknown-objects.module';
import { ProxiesController } from './proxies.controller';
import { ProxiesService } from './proxies.service';
import { ProxyApiController } from './proxy-api.controller';
import { ProxyEntity } from './proxy.entity';

@Module({
  controllers: [ProxiesController, ProxyApiController],
  exports: [ProxiesService],
  imports: [TypeOrmModule.forFeature([ProxyEntity]), UnknownObjectsModule],
  providers: [ProxiesService],
})
export class ProxiesModule {}
