import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** The audit log's read route; AuditService (writes) lives in CoreModule for every domain. */
@Module({ controllers: [AuditController] })
export class AuditModule {}
