import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { PoliciesController } from './policies.controller';
import { PoliciesService } from './policies.service';

@Module({
  controllers: [PoliciesController],
  exports: [PoliciesService],
  imports: [GroupsModule],
  providers: [PoliciesService],
})
export class PoliciesModule {}
