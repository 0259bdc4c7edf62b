import { Module } from '@nestjs/common';
import { CategoriesModule } from '../categories/categories.module';
import { JobsService } from './jobs.service';

@Module({
  exports: [JobsService],
  imports: [CategoriesModule],
  providers: [JobsService],
})
export class JobsModule {}
