import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { CategoriesView } from '@ksn/contracts';
import { actorOf, Roles, type AuthedRequest } from '../auth/access';
import { Api } from '../common/openapi';
import { CategoriesService } from './categories.service';

@Controller('api/v1/categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @Api({ summary: 'The application category tree as last synced', response: CategoriesView })
  get(): Promise<CategoriesView> {
    return this.categories.get();
  }

  @Post('sync')
  @HttpCode(200)
  @Roles('admin')
  @Api({ summary: 'Sync the category tree from the upstream now', response: CategoriesView })
  sync(@Req() req: AuthedRequest): Promise<CategoriesView> {
    return this.categories.sync(actorOf(req));
  }
}
