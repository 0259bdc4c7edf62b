import type { TrafficKind, TrafficLogEntry } from '@ksn/contracts';

export interface KindTotal {
  readonly kind: TrafficKind;
  readonly requests: number;
  readonly items: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export const KIND_LABELS: Record<TrafficKind, string> = {
  lookup: 'Verdict lookups',
  telemetry: 'Telemetry',
  details: 'Reputation details',
  changes: 'Verdict-change feed',
};

/** Sums the traffic log per kind, the largest by bytes sent first. */
export function totalsByKind(entries: readonly TrafficLogEntry[]): KindTotal[] {
  const by = new Map<
    TrafficKind,
    { requests: number; items: number; bytesSent: number; bytesReceived: number }
  >();
  for (const e of entries) {
    const t = by.get(e.kind) ?? { requests: 0, items: 0, bytesSent: 0, bytesReceived: 0 };
    t.requests += e.requests;
    t.items += e.items;
    t.bytesSent += e.bytesSent;
    t.bytesReceived += e.bytesReceived;
    by.set(e.kind, t);
  }
  return [...by]
    .map(([kind, t]) => ({ kind, ...t }))
    .sort((a, b) => b.bytesSent - a.bytesSent || a.kind.localeCompare(b.kind));
}
