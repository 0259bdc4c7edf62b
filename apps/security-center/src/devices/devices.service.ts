import { Injectable } from '@nestjs/common';
import type { DevicePage, DeviceView, MoveDevicesRequest, MoveDevicesResponse } from '@ksn/contracts';
import { DataSource, In, Not, type FindOptionsWhere } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { ApiError } from '../common/api-error';
import { found, type Paging } from '../common/query';
import { nowIso } from '../database/columns';
import { AdminGroup } from '../groups/group.entity';
import { lockTree } from '../groups/groups.service';
import { SnapshotService } from '../snapshot/snapshot.service';
import { Device } from './device.entity';

@Injectable()
export class DevicesService {
  constructor(
    private readonly db: DataSource,
    private readonly snapshots: SnapshotService,
    private readonly audit: AuditService,
  ) {}

  async list(groupId: string | undefined, page: Paging): Promise<DevicePage> {
    const where: FindOptionsWhere<Device> = groupId === undefined ? {} : { groupId };
    const [rows, total] = await this.db
      .getRepository(Device)
      .findAndCount({ where, order: { enrolledAt: 'ASC', id: 'ASC' }, take: page.limit, skip: page.offset });
    return { items: rows.map(toView), total, ...page };
  }

  async get(id: string): Promise<DeviceView> {
    return toView(found(await this.db.getRepository(Device).findOneBy({ id }), 'device'));
  }

  /** Moves devices to a group; proxies apply the new group's policy at the next snapshot. */
  async move(actor: string, req: MoveDevicesRequest): Promise<MoveDevicesResponse> {
    return this.db.transaction(async (tx) => {
      // First: the target group cannot be deleted under this move (see lockTree).
      await lockTree(tx);
      // Store the id of the row found, not the request's spelling: MySQL compares ids case-insensitively.
      const groupId = found(await tx.findOneBy(AdminGroup, { id: req.groupId }), 'group', 'groupId').id;
      const devices = await tx.findBy(Device, { id: In(req.deviceIds) });
      if (devices.length !== req.deviceIds.length) {
        const known = new Set(devices.map((d) => d.id));
        const i = req.deviceIds.findIndex((id) => !known.has(id));
        throw new ApiError('not_found', `device ${req.deviceIds[i]} not found`, `deviceIds[${i}]`);
      }
      const moving = devices.filter((d) => d.groupId !== groupId);
      if (moving.length > 0) {
        await tx.update(
          Device,
          { id: In(moving.map((d) => d.id)), groupId: Not(groupId) },
          { groupId, groupChangedAt: nowIso() },
        );
        for (const d of moving) {
          await this.audit.record(tx, {
            actor,
            action: 'device.move',
            objectType: 'device',
            objectId: d.id,
            before: { groupId: d.groupId },
            after: { groupId },
          });
        }
        await this.snapshots.bump(tx);
      }
      return { moved: moving.length };
    });
  }

  /** Revokes a device: the snapshot lists it, so every proxy refuses its token within one snapshot. */
  async revoke(actor: string, id: string): Promise<DeviceView> {
    return this.db.transaction(async (tx) => {
      const device = found(await tx.findOneBy(Device, { id }), 'device');
      if (device.revokedAt !== null) return toView(device);
      const revokedAt = nowIso();
      await tx.update(Device, { id }, { revokedAt });
      await this.audit.record(tx, {
        actor,
        action: 'device.revoke',
        objectType: 'device',
        objectId: id,
        before: { revokedAt: null },
        after: { revokedAt },
      });
      await this.snapshots.bump(tx);
      return toView({ ...device, revokedAt });
    });
  }
}

export function toView(d: Device): DeviceView {
  return {
    id: d.id,
    name: d.name,
    groupId: d.groupId,
    enrolledAt: d.enrolledAt,
    lastSeenAt: d.lastSeenAt,
    revokedAt: d.revokedAt,
  };
}
