import type { HeartbeatRuleHit, HeartbeatUnknown, HeartbeatVerdictChange, Verdict } from '@ksn/contracts';
import { packKey, unpackKey } from './cache';

/** Bounds of what one heartbeat carries (the contract's maxItems). */
const MAX_UNKNOWN = 1000;
const MAX_DEVICES = 100;
const MAX_RULE_HITS = 10_000;
const MAX_CHANGES = 1000;
const MAX_ACTIVE_DEVICES = 10_000;
/** Longest object key the heartbeat contract carries (a longer URL key is not reported). */
const MAX_KEY_LENGTH = 2100;

export interface InsightsBatch {
  unknownObjects: HeartbeatUnknown[];
  ruleHits: HeartbeatRuleHit[];
  verdictChanges: HeartbeatVerdictChange[];
  activeDevices: string[];
}

interface UnknownSeen {
  devices: Set<string>;
  firstSeen: number;
  lastSeen: number;
}

/**
 * What the proxy learnt since the last heartbeat, for security-center: objects
 * answered `unknown` (with up to 100 asking devices each), lookups decided by
 * an application-control rule (per group and rule) and upstream verdict
 * changes of cached objects. Everything is bounded; what does not fit is
 * dropped (the heartbeat counters still count it).
 */
export class Insights {
  private unknown = new Map<string, UnknownSeen>();
  private hits = new Map<string, HeartbeatRuleHit>();
  private changes: HeartbeatVerdictChange[] = [];
  private active = new Set<string>();

  /** A device made an authenticated request (security-center keeps its last-seen time). */
  deviceSeen(deviceId: string): void {
    if (this.active.size < MAX_ACTIVE_DEVICES && deviceId.length <= 100) this.active.add(deviceId);
  }

  /**
   * An object was answered `unknown` to a device. `packed`: the key's `packKey`, when the
   * caller has it (a lookup read the cache by it): objects are told apart by it, a shorter
   * string than the key whose hash the cache read has computed already.
   */
  unknownAnswered(key: string, deviceId: string, now = Date.now(), packed = packKey(key)): void {
    if (key.length > MAX_KEY_LENGTH || deviceId.length > 100) return;
    const seen = this.unknown.get(packed);
    if (seen) {
      if (seen.devices.size < MAX_DEVICES) seen.devices.add(deviceId);
      if (now > seen.lastSeen) seen.lastSeen = now;
    } else if (this.unknown.size < MAX_UNKNOWN) {
      this.unknown.set(packed, { devices: new Set([deviceId]), firstSeen: now, lastSeen: now });
    }
  }

  ruleHit(groupId: string, ruleId: string, hits = 1): void {
    if (groupId.length > 100 || ruleId.length > 64) return;
    const id = `${groupId}\u0000${ruleId}`;
    const known = this.hits.get(id);
    if (known) known.hits += hits;
    else if (this.hits.size < MAX_RULE_HITS) this.hits.set(id, { groupId, ruleId, hits });
  }

  verdictChanged(key: string, from: Verdict, to: Verdict, at: string): void {
    if (key.length <= MAX_KEY_LENGTH && this.changes.length < MAX_CHANGES)
      this.changes.push({ key, from, to, at });
  }

  /** Takes everything gathered so far (empty arrays when nothing). */
  drain(): InsightsBatch {
    const batch: InsightsBatch = {
      unknownObjects: [...this.unknown].map(([packed, s]) => ({
        key: unpackKey(packed),
        deviceIds: [...s.devices],
        firstSeen: new Date(s.firstSeen).toISOString(),
        lastSeen: new Date(s.lastSeen).toISOString(),
      })),
      ruleHits: [...this.hits.values()],
      verdictChanges: this.changes,
      activeDevices: [...this.active],
    };
    this.unknown = new Map();
    this.hits = new Map();
    this.changes = [];
    this.active = new Set();
    return batch;
  }

  /** Puts a batch whose heartbeat failed back, merged with what came since (still bounded). */
  restore(batch: InsightsBatch): void {
    for (const u of batch.unknownObjects) {
      for (const d of u.deviceIds) this.unknownAnswered(u.key, d, Date.parse(u.lastSeen));
      const seen = this.unknown.get(packKey(u.key));
      if (seen) seen.firstSeen = Math.min(seen.firstSeen, Date.parse(u.firstSeen));
    }
    for (const h of batch.ruleHits) this.ruleHit(h.groupId, h.ruleId, h.hits);
    this.changes = [...batch.verdictChanges, ...this.changes].slice(0, MAX_CHANGES);
    for (const d of batch.activeDevices) this.deviceSeen(d);
  }
}
