import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { nowIso } from '../database/columns';
import { AdminGroup } from './group.entity';

export const DEFAULT_GROUP_NAME = 'Managed devices';

@Injectable()
export class GroupsService {
  constructor(@InjectRepository(AdminGroup) private readonly groups: Repository<AdminGroup>) {}

  /** The root group devices enrol into by default; created with the built-in policy on first start. */
  async ensureDefaultGroup(): Promise<AdminGroup> {
    const existing = await this.groups.findOne({ where: { parentId: IsNull() }, order: { createdAt: 'ASC' } });
    if (existing) return existing;
    const now = nowIso();
    const group = this.groups.create({ id: randomUUID(), name: DEFAULT_GROUP_NAME, parentId: null, policy: { locked: [] }, version: 1, createdAt: now, updatedAt: now });
    await this.groups.insert(group);
    return group;
  }

  count(): Promise<number> {
    return this.groups.count();
  }
}
