import type { PolicySettings } from '@ksn/contracts';
import { verifyDeviceToken, type DeviceClaims } from '@ksn/device-auth';
import { HttpError } from '@ksn/service-kit';
import { LRUCache } from 'lru-cache';
import type { PolicyIndex } from './policy-store';

export interface Caller {
  deviceId: string;
  groupId: string;
  policy: PolicySettings;
}

/**
 * Who is asking: the device token verified offline against the snapshot's keys.
 * Verified tokens are remembered (until they expire or the snapshot changes) so
 * the Ed25519 signature is checked once per token, not once per request.
 */
export class DeviceAuthenticator {
  /** By the whole Authorization value: no slice per lookup, and the lane's repeated value keeps its hash. */
  private readonly verified = new LRUCache<string, DeviceClaims>({ max: 100_000 });

  /** `onSeen` hears of every authenticated device (for its last-seen time). */
  constructor(private readonly onSeen: (deviceId: string) => void = () => undefined) {}

  /** Forget verified tokens: keys may have been retired. */
  reset(): void {
    this.verified.clear();
  }

  /** `header`: the request's Authorization header. */
  authenticate(header: string | undefined, index: PolicyIndex): Caller {
    if (header === undefined || !header.startsWith('Bearer '))
      throw new HttpError('unauthorized', 'Authorization: Bearer <device token> is required');
    const nowSeconds = Math.floor(Date.now() / 1000);
    let claims = this.verified.get(header);
    if (claims === undefined || claims.exp <= nowSeconds) {
      const result = verifyDeviceToken(header.slice(7), index.keys, nowSeconds);
      if (!result.ok) throw new HttpError('invalid_token', `device token ${result.reason.replace('_', ' ')}`);
      claims = result.claims;
      this.verified.set(header, claims, { ttl: (claims.exp - nowSeconds) * 1000 });
    }
    if (index.revoked.has(claims.sub)) throw new HttpError('device_revoked', 'this device has been revoked');
    const groupId = index.moved.get(claims.sub) ?? claims.grp;
    const policy = index.groups.get(groupId);
    if (!policy) throw new HttpError('forbidden', "the device's group no longer exists; enrol again");
    this.onSeen(claims.sub);
    return { deviceId: claims.sub, groupId, policy };
  }
}
