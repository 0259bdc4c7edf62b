import { compile, TelemetryRequest, type HeartbeatCounters } from '@ksn/contracts';
import { sendingAllowed } from '@ksn/policy-engine';
import { HttpError, readBody, readCapped, sendJson, type Logger } from '@ksn/service-kit';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import type { Caller } from './device-auth';
import type { ProxyMetrics } from './metrics';
import type { DeliveryResult, TelemetrySpool } from './spool';
import type { TelemetryForwarder } from './telemetry-forwarder';
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
    deps.counters.telemetryBlocked++;
    deps.metrics.telemetry.inc({ outcome: 'blocked_by_policy' });
    throw new HttpError(
      'sending_disabled',
      deps.upstream.enabled
        ? `sending ${kind} is disabled by this device's policy`
        : 'this proxy runs in private mode: nothing leaves the network',
    );
  }
  const idempotencyKey = randomUUID();
  // While a backlog waits or the upstream is known to be failing, queue behind it rather than ask.
  const outcome =
    deps.spool.size > 0 || deps.upstream.breaker.state === 'open'
      ? ({ kind: 'unavailable', reason: 'spool backlog or circuit open' } as const)
      : await deps.forwarder.forward(req, res, body, idempotencyKey);
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
  try {
    await deps.spool.add(body, idempotencyKey);
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

/** Delivers one spooled record (what the spool calls). */
export function spoolDelivery(
  opts: { url: string; token: string; timeoutMs: number },
  deps: { metrics: ProxyMetrics; counters: HeartbeatCounters; traffic: TrafficLog; upstream: Upstream },
) {
  return async (body: Buffer, idempotencyKey: string): Promise<DeliveryResult> => {
    if (deps.upstream.breaker.state === 'open') return 'retry';
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
      if (res.statusCode >= 500 || res.statusCode === 429) return 'retry';
      const items = (JSON.parse(body.toString('utf8')) as { records: unknown[] }).records.length;
      deps.traffic.record('telemetry', items, body.length, Buffer.byteLength(text));
      if (res.statusCode >= 300) {
        deps.metrics.telemetry.inc({ outcome: 'failed' });
        return 'drop';
      }
      deps.counters.telemetryForwarded++;
      deps.metrics.telemetry.inc({ outcome: 'forwarded' });
      return 'done';
    } catch {
      return 'retry';
    }
  };
}
