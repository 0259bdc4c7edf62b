import type { ErrorBody, UpstreamLookupResponse } from '@ksn/contracts';
import { get, post } from '../test/client';
import { NO_FAULTS, type FaultSettings } from './faults';
import { startCloudEmulator, type RunningEmulator } from './server';
import type { AdminStats } from './state';

const KEY = 'md5:2e2c937846a0b8789e5e91739284d17a';
const setFaults = (e: RunningEmulator, patch: unknown) =>
  post<FaultSettings & ErrorBody>(e.url, '/admin/faults', patch);
const lookup = (e: RunningEmulator, signal?: AbortSignal) =>
  fetch(`${e.url}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [KEY] }),
    ...(signal && { signal }),
  });

describe(startCloudEmulator.name, () => {
  describe('fault and load knobs', () => {
    let emu: RunningEmulator;
    beforeEach(async () => {
      emu = await startCloudEmulator({ port: 0, defaultMetrics: false });
    });
    afterEach(async () => {
      await emu.close();
    });

    it('shows and changes the knobs at runtime, refusing bad ones naming the field', async () => {
      expect((await get(emu.url, '/admin/faults')).body).toEqual(NO_FAULTS);
      const changed = await setFaults(emu, { latencyMs: 5, errorStatuses: [502] });
      expect(changed.body).toEqual({ ...NO_FAULTS, latencyMs: 5, errorStatuses: [502] });
      expect((await get(emu.url, '/admin/faults')).body).toEqual(changed.body);
      for (const [patch, field] of [
        [{ errorRate: 1.5 }, 'errorRate'],
        [{ outage: 'sometimes' }, 'outage'],
        [{ latencyMs: -1 }, 'latencyMs'],
        [{ errorStatuses: [404] }, 'errorStatuses[0]'],
        [{ nonsense: true }, 'nonsense'],
      ] as const) {
        const res = await setFaults(emu, patch);
        expect([res.status, res.body.error, res.body.field]).toEqual([400, 'invalid_request', field]);
      }
      expect(emu.faults()).toEqual(changed.body);
    });

    it('fails every /v1 request at error rate 1, with the configured statuses, while admin routes answer', async () => {
      await setFaults(emu, { errorRate: 1 });
      for (let i = 0; i < 10; i++) {
        const res = await lookup(emu);
        expect([500, 503]).toContain(res.status);
        expect(((await res.json()) as ErrorBody).error).toMatch(/^(internal_error|unavailable)$/);
      }
      expect((await get(emu.url, '/v1/categories')).status).toBeGreaterThanOrEqual(500);
      await setFaults(emu, { errorStatuses: [504] });
      expect((await lookup(emu)).status).toBe(504);
      expect((await get(emu.url, '/healthz')).status).toBe(200);
      expect((await get(emu.url, '/metrics')).status).toBe(200);
      const stats = (await get<AdminStats>(emu.url, '/admin/stats')).body;
      expect(stats.faultsInjected.error).toBe(12);
      // Failed lookups asked nothing.
      expect(emu.asked(KEY)).toBe(0);
      await setFaults(emu, { errorRate: 0 });
      expect((await lookup(emu)).status).toBe(200);
    });

    it('emulates an outage: 503, connection reset, or a hang', async () => {
      await setFaults(emu, { outage: 'unavailable' });
      const unavailable = await get<ErrorBody>(emu.url, '/v1/categories');
      expect([unavailable.status, unavailable.body.error]).toEqual([503, 'unavailable']);

      await setFaults(emu, { outage: 'reset' });
      await expect(lookup(emu)).rejects.toThrow();
      await expect(get(emu.url, '/v1/changes')).rejects.toThrow();
      expect((await get(emu.url, '/admin/faults')).body).toMatchObject({ outage: 'reset' });

      await setFaults(emu, { outage: 'hang' });
      await expect(lookup(emu, AbortSignal.timeout(300))).rejects.toThrow(/abort|timeout/i);

      await setFaults(emu, { outage: 'off' });
      expect((await lookup(emu)).status).toBe(200);
      expect(emu.stats().faultsInjected.outage).toBe(4);
    });

    it('ends hung requests when the server closes', async () => {
      const hung = await startCloudEmulator({ port: 0, defaultMetrics: false, faults: { outage: 'hang' } });
      const pending = lookup(hung).then(
        (r) => r.status,
        () => 'connection closed',
      );
      await new Promise((r) => setTimeout(r, 100));
      await hung.close();
      expect(await pending).toBe('connection closed');
    });

    it('rate-limits /v1 requests with 429 and Retry-After', async () => {
      await setFaults(emu, { rateLimitPerSecond: 1, rateLimitBurst: 2 });
      expect((await lookup(emu)).status).toBe(200);
      expect((await lookup(emu)).status).toBe(200);
      const limited = await lookup(emu);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(((await limited.json()) as ErrorBody).error).toBe('rate_limited');
      expect((await get(emu.url, '/admin/stats')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await lookup(emu)).status).toBe(200);
    });

    it('adds latency to /v1 answers', async () => {
      await setFaults(emu, { latencyMs: 200, latencyJitterMs: 50 });
      const started = Date.now();
      const res = await lookup(emu);
      const took = Date.now() - started;
      expect(res.status).toBe(200);
      expect(took).toBeGreaterThanOrEqual(190);
      const admin = Date.now();
      await get(emu.url, '/admin/stats');
      expect(Date.now() - admin).toBeLessThan(took);
      expect(emu.stats().faultsInjected.latency).toBe(1);
    });

    it('drips response bodies slowly', async () => {
      await setFaults(emu, { slowBodyBytesPerSecond: 400 });
      const started = Date.now();
      const res = await lookup(emu);
      const headersAfter = Date.now() - started;
      const body = (await res.json()) as UpstreamLookupResponse;
      const took = Date.now() - started;
      expect(body.results[0]!.key).toBe(KEY);
      // About 200 bytes at 400 bytes a second.
      expect(took).toBeGreaterThanOrEqual(300);
      expect(headersAfter).toBeLessThan(took);
    });

    it('resets to the start-up knobs', async () => {
      const configured = await startCloudEmulator({
        port: 0,
        defaultMetrics: false,
        faults: { latencyMs: 1 },
      });
      try {
        await setFaults(configured, { errorRate: 1, outage: 'reset' });
        await post(configured.url, '/admin/reset', {});
        expect(configured.faults()).toEqual({ ...NO_FAULTS, latencyMs: 1 });
      } finally {
        await configured.close();
      }
    });
  });
});
