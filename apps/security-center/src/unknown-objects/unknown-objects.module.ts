import { Module } from '@nestjs/common';
import { UnknownObjectsController } from './unknown-objects.controller';
import { UnknownObjectsService } from './unknown-objects.service';

@Module({
  controllers: [UnknownObjectsController],
  exports: [UnknownObjectsService],
  providers: [UnknownObjectsService],
})
export class UnknownObjectsModule {}
