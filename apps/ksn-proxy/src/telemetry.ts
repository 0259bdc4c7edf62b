import {
  compile,
  TELEMETRY_KINDS,
  TelemetryRequest,
  type HeartbeatCounters,
  type TelemetryKind,
} from '@ksn/contracts';
import { sendingAllowed } from '@ksn/policy-engine';
import { HttpError, readBody, readCapped, sendJson, type Logger } from '@ksn/service-kit';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import type { Caller } from './device-auth';
import type { ProxyMetrics, UpstreamOutcome } from './metrics';
import type { PolicyIndex } from './policy-store';
import type { DeliveryResult, SpoolMeta, TelemetrySpool } from './spool';
import {
  BODY_REFUSALS,
  policyRefusal,
  refusalCode,
  upstreamUnavailable,
  type ForwardOutcome,
  type TelemetryForwarder,
} from './telemetry-forwarder';
import type { TrafficLog } from './traffic';
import { SMALL_ANSWER_MAX_BYTES, type Upstream } from './upstream';

const validTelemetry = compile(TelemetryRequest);

export interface TelemetryDeps {
  upstream: Upstream;
  forwarder: TelemetryForwarder | undefined;
  spool: TelemetrySpool;
  metrics: ProxyMetrics;
  counters: HeartbeatCounters;
  traffic: TrafficLog;
  maxBodyBytes: number;
  log: Logger;
}

/**
 * POST /v1/telemetry: validate, enforce the device's policy (KSN `off` or
 * `basic`, or sending off for the data kind: 403 `sending_disabled`, counted,
 * never forwarded; private mode likewise), then stream it upstream; when the
 * upstream cannot take it, spool it durably and answer 202.
 */
export async function handleTelemetry(
  deps: TelemetryDeps,
  caller: Caller,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\b/i.test(type))
    throw new HttpError('unsupported_media_type', 'Content-Type must be application/json');
  const body = await readBody(req, deps.maxBodyBytes);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError('invalid_request', 'body is not valid JSON');
  }
  const parsed = validTelemetry.validate(json);
  if (!parsed.ok)
    throw new HttpError('invalid_request', `${parsed.field || 'body'} ${parsed.message}`, parsed.field);
  const { kind, records } = parsed.value;
  if (!sendingAllowed(caller.policy, kind) || !deps.upstream.enabled || deps.forwarder === undefined) {
    countBlocked(deps);
    throw new HttpError(
      'sending_disabled',
      deps.upstream.enabled
        ? `sending ${kind} is disabled by this device's policy`
        : 'this proxy runs in private mode: nothing leaves the network',
    );
  }
  const idempotencyKey = randomUUID();
  let outcome: ForwardOutcome;
  // While a backlog waits or the upstream is known to be failing, queue behind it rather than ask.
  if (deps.spool.size > 0 || deps.upstream.breaker.state === 'open')
    outcome = { kind: 'unavailable', reason: 'spool backlog or circuit open' };
  else {
    const started = performance.now();
    outcome = await deps.forwarder.forward(req, res, body, idempotencyKey);
    const answered = outcome.kind !== 'unavailable' || outcome.status !== undefined;
    deps.metrics.upstreamExchange(
      'telemetry',
      outcome.kind === 'answered' && outcome.status < 300 ? 'success' : 'error',
      {
        sent: answered ? body.length : 0,
        received: outcome.kind === 'unavailable' ? 0 : outcome.bytesReceived,
      },
      (performance.now() - started) / 1000,
    );
  }
  if (outcome.kind === 'answered') {
    deps.traffic.record('telemetry', records.length, body.length, outcome.bytesReceived);
    if (outcome.status < 300) {
      deps.counters.telemetryForwarded++;
      deps.metrics.telemetry.inc({ outcome: 'forwarded' });
    } else {
      deps.metrics.telemetry.inc({ outcome: 'failed' });
    }
    return;
  }
  if (outcome.kind === 'refused') {
    deps.traffic.record('telemetry', records.length, body.length, outcome.bytesReceived);
    if (policyRefusal(outcome.status, outcome.error)) {
      // The upstream proxy's policy for this proxy's group: as final as the device's own.
      countBlocked(deps);
      throw new HttpError('sending_disabled', `sending ${kind} is disabled by the upstream proxy's policy`);
    }
    deps.metrics.telemetry.inc({ outcome: 'failed' });
    deps.log.warn('the upstream refused telemetry from this proxy: check its upstream credential and URL', {
      status: outcome.status,
    });
    throw new HttpError('upstream_error', `the upstream refused this proxy's request (${outcome.status})`);
  }
  try {
    await deps.spool.add(body, idempotencyKey, { groupId: caller.groupId, kind });
  } catch (e) {
    deps.metrics.telemetry.inc({ outcome: 'failed' });
    deps.log.error('could not spool telemetry', { error: e as Error });
    throw new HttpError(
      'unavailable',
      'the upstream is unreachable and the spool could not store this',
      undefined,
      { 'retry-after': '5' },
    );
  }
  deps.metrics.telemetry.inc({ outcome: 'spooled' });
  sendJson(res, 202, { accepted: records.length, spooled: true });
}

export interface SpoolDeliveryDeps {
  metrics: ProxyMetrics;
  counters: HeartbeatCounters;
  traffic: TrafficLog;
  upstream: Upstream;
  /**
   * The policy snapshot in force (server.ts: `() => store.current`). Each record is checked
   * against it when delivered: sending may have been turned off since it was accepted.
   */
  snapshot: () => PolicyIndex | undefined;
}

/**
 * May a spooled record leave now? `later` while no snapshot is in force (nothing is known;
 * the spool waits, as every request does). A record carries its group and kind; a group no
 * longer in the snapshot permits nothing. A record from before records carried their group
 * (meta undefined) has only its body's kind: it leaves only if every group in the snapshot
 * permits that kind, so it can never leave for a group whose sending is off.
 */
export function spoolPermits(
  index: PolicyIndex | undefined,
  body: Buffer,
  meta: SpoolMeta | undefined,
): boolean | 'later' {
  if (index === undefined) return 'later';
  if (meta !== undefined) {
    const policy = index.groups.get(meta.groupId);
    return policy !== undefined && sendingAllowed(policy, meta.kind);
  }
  let kind: TelemetryKind;
  try {
    kind = (JSON.parse(body.toString('utf8')) as { kind: TelemetryKind }).kind;
  } catch {
    return false;
  }
  if (!(TELEMETRY_KINDS as readonly unknown[]).includes(kind)) return false;
  if (index.groups.size === 0) return false;
  for (const policy of index.groups.values()) if (!sendingAllowed(policy, kind)) return false;
  return true;
}

/** Telemetry a policy kept in the network: the heartbeat counter and the metric, together. */
function countBlocked(deps: { counters: HeartbeatCounters; metrics: ProxyMetrics }): void {
  deps.counters.telemetryBlocked++;
  deps.metrics.telemetry.inc({ outcome: 'blocked_by_policy' });
}

/** Delivers one spooled record (what the spool calls). */
export function spoolDelivery(
  opts: { url: string; token: string; timeoutMs: number },
  deps: SpoolDeliveryDeps,
) {
  return async (body: Buffer, idempotencyKey: string, meta?: SpoolMeta): Promise<DeliveryResult> => {
    const permitted = spoolPermits(deps.snapshot(), body, meta);
    if (permitted === 'later') return 'retry';
    if (!permitted) {
      countBlocked(deps);
      return 'blocked';
    }
    if (deps.upstream.breaker.state === 'open') return 'retry';
    const started = performance.now();
    let counted = false;
    const exchange = (outcome: UpstreamOutcome, sent: boolean, received: number) => {
      if (counted) return;
      counted = true;
      deps.metrics.upstreamExchange(
        'telemetry',
        outcome,
        { sent: sent ? body.length : 0, received },
        (performance.now() - started) / 1000,
      );
    };
    try {
      const res = await request(`${opts.url}/v1/telemetry`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
          ...(opts.token && { authorization: `Bearer ${opts.token}` }),
        },
        body,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      // The upstream's acknowledgement is small; a larger one is a failure (retried later).
      const text = await readCapped(res.body, SMALL_ANSWER_MAX_BYTES);
      const received = Buffer.byteLength(text);
      exchange(res.statusCode < 300 ? 'success' : 'error', true, received);
      if (policyRefusal(res.statusCode, refusalCode(text))) {
        // The upstream proxy's policy disables sending this kind for this proxy's group: final.
        countBlocked(deps);
        return 'blocked';
      }
      // Not now, or a refusal of this proxy's credential or URL (not of the record): kept for later.
      if (upstreamUnavailable(res.statusCode)) return 'retry';
      if (res.statusCode >= 300 && !BODY_REFUSALS.has(res.statusCode)) return 'retry';
      const items = (JSON.parse(body.toString('utf8')) as { records: unknown[] }).records.length;
      deps.traffic.record('telemetry', items, body.length, received);
      if (res.statusCode >= 300) {
        deps.metrics.telemetry.inc({ outcome: 'failed' });
        return 'drop';
      }
      deps.counters.telemetryForwarded++;
      deps.metrics.telemetry.inc({ outcome: 'forwarded' });
      return 'done';
    } catch (e) {
      const code = (e as { code?: string }).code;
      const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      // Without a connection nothing was sent.
      const sent = code !== 'ECONNREFUSED' && code !== 'UND_ERR_CONNECT_TIMEOUT';
      exchange(timeout ? 'timeout' : 'error', sent, 0);
      return 'retry';
    }
  };
}
