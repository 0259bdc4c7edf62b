import type {
  CategoriesResponse,
  CategoryNode,
  ErrorBody,
  FileDetails,
  UpstreamLookupResponse,
} from '@ksn/contracts';
import { get, post, sha256Key } from '../test/client';
import { CATEGORY_PATHS } from './corpus/categories';
import { startCloudEmulator, type RunningEmulator } from './server';
import type { AdminStats } from './state';
import type { TelemetryRecord } from './telemetry';

const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';
const OS_COMPONENTS = 'Golden Image/Operating Systems & Utilities/OS Components';

describe(startCloudEmulator.name, () => {
  let emu: RunningEmulator;
  const lookup = async (keys: string[], e: RunningEmulator = emu) => {
    const res = await post<UpstreamLookupResponse>(e.url, '/v1/lookup', { keys });
    expect(res.status).toBe(200);
    return res.body.results;
  };

  beforeEach(async () => {
    emu = await startCloudEmulator({ port: 0, seed: 'spec', defaultMetrics: false });
  });
  afterEach(async () => {
    await emu.close();
  });

  describe('POST /v1/lookup', () => {
    it('answers the well-known objects, in request order', async () => {
      const results = await lookup([
        `md5:${REGEDIT_MD5}`,
        `sha256:${EICAR_SHA256}`,
        'url:http://malware.wicar.org/data/eicar.com',
        'url:https://testsafebrowsing.appspot.com/s/phishing.html',
        'url:http://www.example.com/',
        'sha1:f48138dc476e040b8a9925c7d2650b706178e863',
      ]);
      expect(results.map((r) => r.verdict)).toEqual([
        'clean',
        'malicious',
        'malicious',
        'malicious',
        'clean',
        'clean',
      ]);
      expect(results[0]).toEqual({
        key: `md5:${REGEDIT_MD5}`,
        verdict: 'clean',
        category: OS_COMPONENTS,
        vendor: 'Microsoft Corporation',
        certificate: expect.stringMatching(/^[0-9a-f]{40}$/),
        ttl: 86_400,
      });
      expect(results[1]).toEqual({ key: `sha256:${EICAR_SHA256}`, verdict: 'malicious', ttl: 86_400 });
    });

    it('gives the same answers for the same seed and others for another seed, with the 70/30 mix', async () => {
      const keys = Array.from({ length: 20_000 }, sha256Key);
      const batches = Array.from({ length: 20 }, (_, i) => keys.slice(i * 1000, (i + 1) * 1000));
      const first = (await Promise.all(batches.map((b) => lookup(b)))).flat();
      const same = await startCloudEmulator({ port: 0, seed: 'spec', defaultMetrics: false });
      const other = await startCloudEmulator({ port: 0, seed: 'other', defaultMetrics: false });
      try {
        expect(await lookup(batches[0]!, same)).toEqual(first.slice(0, 1000));
        const differs = (await lookup(batches[0]!, other)).filter(
          (r, i) => r.verdict !== first[i]!.verdict,
        ).length;
        expect(differs).toBeGreaterThan(300);
      } finally {
        await same.close();
        await other.close();
      }
      expect(first.map((r) => r.key)).toEqual(keys);
      const unknown = first.filter((r) => r.verdict === 'unknown').length / keys.length;
      const clean = first.filter((r) => r.verdict === 'clean').length / keys.length;
      expect(unknown).toBeGreaterThan(0.27);
      expect(unknown).toBeLessThan(0.33);
      expect(clean).toBeGreaterThan(0.54);
      expect(first.some((r) => r.verdict === 'adware') && first.some((r) => r.verdict === 'suspicious')).toBe(
        true,
      );
      expect(first.filter((r) => r.category !== undefined && !CATEGORY_PATHS.has(r.category))).toEqual([]);
      const ttl = { clean: 86_400, malicious: 86_400, suspicious: 3600, adware: 3600, unknown: 300 };
      expect(first.filter((r) => r.ttl !== ttl[r.verdict])).toEqual([]);
    });

    it('refuses malformed bodies and keys with 400 naming the field, counting nothing', async () => {
      const good = `md5:${'0'.repeat(32)}`;
      const cases: [unknown, string | undefined][] = [
        [{ keys: [good, good, good, `sha256:${'A'.repeat(64)}`] }, 'keys[3]'],
        [{ keys: [good, 'url:HTTP://Example.com/'] }, 'keys[1]'],
        [{ keys: [good, 'crc32:0000'] }, 'keys[1]'],
        [{ keys: [good, 42] }, 'keys[1]'],
        [{ keys: [] }, 'keys'],
        [{ keys: Array.from({ length: 1001 }, () => good) }, 'keys'],
        [{ keys: [good], extra: 1 }, 'extra'],
        [{}, 'keys'],
      ];
      for (const [body, field] of cases) {
        const res = await post<ErrorBody>(emu.url, '/v1/lookup', body);
        expect([res.status, res.body.error, res.body.field]).toEqual([400, 'invalid_request', field]);
        expect(res.body.message).toEqual(expect.any(String));
      }
      const notJson = await post<ErrorBody>(emu.url, '/v1/lookup', '{"keys": [');
      expect([notJson.status, notJson.body.error]).toEqual([400, 'invalid_request']);
      const text = await fetch(`${emu.url}/v1/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(text.status).toBe(415);
      expect((await get<{ count: number }>(emu.url, `/admin/asked?key=${good}`)).body.count).toBe(0);
    });

    it('counts how many times each key was asked (GET /admin/asked)', async () => {
      const key = sha256Key();
      await lookup([key, `md5:${REGEDIT_MD5}`]);
      await lookup([key]);
      expect((await get(emu.url, `/admin/asked?key=${key}`)).body).toEqual({ key, count: 2 });
      expect(
        (await get(emu.url, `/admin/asked?key=${encodeURIComponent(`MD5:${REGEDIT_MD5.toUpperCase()}`)}`))
          .body,
      ).toEqual({ key: `md5:${REGEDIT_MD5}`, count: 1 });
      expect((await get(emu.url, `/admin/asked?key=${sha256Key()}`)).body).toMatchObject({ count: 0 });
      expect((await get<ErrorBody>(emu.url, '/admin/asked')).body).toMatchObject({
        error: 'invalid_request',
        field: 'key',
      });
      expect(emu.asked(key)).toBe(2);
    });
  });

  describe('GET /v1/files/{hash}/details', () => {
    it('gives reputation details by SHA-256, SHA-1 or MD5 in any case', async () => {
      const res = await get<FileDetails>(emu.url, `/v1/files/${REGEDIT_MD5.toUpperCase()}/details`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        key: `md5:${REGEDIT_MD5}`,
        verdict: 'clean',
        category: OS_COMPONENTS,
        vendor: 'Microsoft Corporation',
        product: 'Microsoft Windows Operating System',
        signer: 'Microsoft Corporation',
        certificateStatus: expect.stringMatching(/^(valid|expired)$/),
        size: expect.any(Number),
        firstSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        users: { day: expect.any(Number), week: expect.any(Number), month: expect.any(Number) },
        userConfidence: expect.any(Number),
        reputation: expect.any(Number),
        countries: expect.any(Object),
      });
      const eicar = await get<FileDetails>(emu.url, `/v1/files/${EICAR_SHA256}/details`);
      expect(eicar.body).toMatchObject({ verdict: 'malicious', size: 68, certificateStatus: 'unsigned' });
      const sha1 = await get<FileDetails>(
        emu.url,
        '/v1/files/3395856CE81F2B7382DEE72602F798B642F14140/details',
      );
      expect(sha1.body).toMatchObject({
        key: 'sha1:3395856ce81f2b7382dee72602f798b642f14140',
        verdict: 'malicious',
      });
    });

    it('agrees with lookups, and refuses what is not a hash', async () => {
      const keys = Array.from({ length: 20 }, sha256Key);
      const results = await lookup(keys);
      for (const r of results) {
        const d = await get<FileDetails>(emu.url, `/v1/files/${r.key.slice(7)}/details`);
        expect(d.body).toMatchObject({ key: r.key, verdict: r.verdict });
        expect(d.body.category).toBe(r.category);
      }
      const bad = await get<ErrorBody>(emu.url, '/v1/files/not-a-hash/details');
      expect([bad.status, bad.body.field]).toEqual([400, 'hash']);
    });
  });

  describe('GET /v1/categories', () => {
    it('serves the tree, which holds every category lookups assign', async () => {
      const res = await get<CategoriesResponse>(emu.url, '/v1/categories');
      expect(res.status).toBe(200);
      const paths = new Set<string>();
      const walk = (nodes: CategoryNode[]) => nodes.forEach((n) => (paths.add(n.path), walk(n.children)));
      walk(res.body.categories);
      for (const p of [
        'Golden Image',
        OS_COMPONENTS,
        'Trusted updaters',
        'Browsers',
        'Games',
        'Office',
        'Development tools',
        'Remote administration tools',
        'Messengers',
        'Multimedia',
      ]) {
        expect(paths).toContain(p);
      }
      const results = await lookup(Array.from({ length: 1000 }, sha256Key));
      const assigned = results.flatMap((r) => (r.category ? [r.category] : []));
      expect(assigned.length).toBeGreaterThan(400);
      for (const c of assigned) expect(paths).toContain(c);
    });
  });

  describe('POST /v1/telemetry', () => {
    it('accepts JSON, counts records, keeps them with their headers, once per Idempotency-Key', async () => {
      const upload = { kind: 'statistics', records: [{ a: 1 }, { a: 2 }, { a: 3 }] };
      const first = await post(emu.url, '/v1/telemetry', upload, {
        'idempotency-key': 'k1',
        'x-forwarded-by': 'proxy-1',
      });
      expect([first.status, first.body]).toEqual([202, { accepted: 3, duplicate: false }]);
      const again = await post(emu.url, '/v1/telemetry', upload, { 'idempotency-key': 'k1' });
      expect([again.status, again.body]).toEqual([202, { accepted: 3, duplicate: true }]);
      expect((await post(emu.url, '/v1/telemetry', [{ x: 1 }, { x: 2 }])).body).toEqual({
        accepted: 2,
        duplicate: false,
      });
      expect((await post(emu.url, '/v1/telemetry', { any: 'object' })).body).toEqual({
        accepted: 1,
        duplicate: false,
      });

      const stats = (await get<AdminStats>(emu.url, '/admin/stats')).body;
      expect(stats).toMatchObject({ telemetryAccepted: 6, telemetryRequests: 3, telemetryDuplicates: 1 });
      const kept = (await get<{ records: TelemetryRecord[] }>(emu.url, '/admin/telemetry?limit=10')).body
        .records;
      expect(kept.map((r) => r.records)).toEqual([3, 2, 1]);
      expect(kept[0]).toMatchObject({
        idempotencyKey: 'k1',
        body: upload,
        headers: expect.objectContaining({ 'x-forwarded-by': 'proxy-1' }),
      });
      expect(kept[0]!.headers['authorization']).toBeUndefined();
      expect(
        (await get<{ records: TelemetryRecord[] }>(emu.url, '/admin/telemetry?limit=1')).body.records,
      ).toEqual([kept[2]]);
      expect((await get<ErrorBody>(emu.url, '/admin/telemetry?limit=zero')).body.field).toBe('limit');
    });

    it('refuses bodies that are not a JSON object or array, or too large', async () => {
      expect((await post(emu.url, '/v1/telemetry', '42')).status).toBe(400);
      const small = await startCloudEmulator({
        port: 0,
        telemetry: { maxBodyBytes: 100 },
        defaultMetrics: false,
      });
      try {
        const big = await post<ErrorBody>(small.url, '/v1/telemetry', { blob: 'x'.repeat(200) });
        expect([big.status, big.body.error]).toEqual([413, 'payload_too_large']);
      } finally {
        await small.close();
      }
    });

    it('keeps only the last N uploads', async () => {
      const few = await startCloudEmulator({ port: 0, telemetry: { keep: 2 }, defaultMetrics: false });
      try {
        for (let i = 1; i <= 5; i++) await post(few.url, '/v1/telemetry', { i });
        const kept = (await get<{ records: TelemetryRecord[] }>(few.url, '/admin/telemetry?limit=100')).body
          .records;
        expect(kept.map((r) => r.body)).toEqual([{ i: 4 }, { i: 5 }]);
        expect(few.stats().telemetryAccepted).toBe(5);
      } finally {
        await few.close();
      }
    });
  });

  describe('API key', () => {
    it('requires the Bearer key on /v1 and /admin routes, not on /metrics and /healthz', async () => {
      const locked = await startCloudEmulator({ port: 0, apiKey: 'secret-key', defaultMetrics: false });
      const auth = { authorization: 'Bearer secret-key' };
      try {
        for (const path of [
          '/v1/categories',
          '/v1/changes',
          `/v1/files/${EICAR_SHA256}/details`,
          '/admin/stats',
          '/admin/faults',
        ]) {
          const res = await get<ErrorBody>(locked.url, path);
          expect([path, res.status, res.body.error]).toEqual([path, 401, 'unauthorized']);
          expect(res.headers.get('www-authenticate')).toBe('Bearer');
          expect((await get(locked.url, path, { authorization: 'Bearer wrong' })).status).toBe(401);
          expect((await get(locked.url, path, auth)).status).toBe(200);
        }
        expect((await post(locked.url, '/v1/lookup', { keys: [`sha256:${EICAR_SHA256}`] })).status).toBe(401);
        expect(
          (await post(locked.url, '/v1/lookup', { keys: [`sha256:${EICAR_SHA256}`] }, auth)).status,
        ).toBe(200);
        expect((await get(locked.url, '/healthz')).status).toBe(200);
        expect((await get(locked.url, '/metrics')).status).toBe(200);
        // The emulator's own key is redacted from kept telemetry headers; anything else is evidence and kept.
        await post(locked.url, '/v1/telemetry', { n: 1 }, auth);
        const kept = (await get<{ records: TelemetryRecord[] }>(locked.url, '/admin/telemetry', auth)).body
          .records;
        expect(kept[0]!.headers['authorization']).toBe('Bearer [emulator API key]');
      } finally {
        await locked.close();
      }
    });
  });

  describe('admin and plumbing', () => {
    it('counts requests by route, lookups by verdict and keys asked; reset clears them', async () => {
      await lookup([`sha256:${EICAR_SHA256}`, `md5:${REGEDIT_MD5}`, `md5:${REGEDIT_MD5}`]);
      await get(emu.url, '/v1/categories');
      const stats = (await get<AdminStats>(emu.url, '/admin/stats')).body;
      expect(stats).toMatchObject({
        keysAsked: 3,
        distinctKeys: 2,
        lookups: { malicious: 1, clean: 2, unknown: 0 },
      });
      expect(stats.requests).toMatchObject({ v1_lookup: 1, v1_categories: 1, admin_stats: 1 });
      const reset = await post(emu.url, '/admin/reset', {});
      expect(reset.body).toMatchObject({ reset: true });
      expect((await get<AdminStats>(emu.url, '/admin/stats')).body).toMatchObject({
        keysAsked: 0,
        lookups: { clean: 0 },
        requests: { v1_lookup: 0 },
      });
      expect(emu.asked(`md5:${REGEDIT_MD5}`)).toBe(0);
    });

    it('answers 404 and 405 as JSON errors, and /healthz', async () => {
      expect((await get<ErrorBody>(emu.url, '/v1/nothing')).body).toMatchObject({ error: 'not_found' });
      const wrong = await get<ErrorBody>(emu.url, '/v1/lookup');
      expect([wrong.status, wrong.body.error, wrong.headers.get('allow')]).toEqual([
        405,
        'method_not_allowed',
        'POST',
      ]);
      expect((await get(emu.url, '/healthz')).body).toEqual({ status: 'ok' });
    });

    it('exports its metrics in its own registry', async () => {
      const withDefaults = await startCloudEmulator({ port: 0 });
      try {
        await lookup([`sha256:${EICAR_SHA256}`, `md5:${REGEDIT_MD5}`], withDefaults);
        await post(withDefaults.url, '/v1/lookup', { keys: ['bad'] });
        const res = await get<string>(withDefaults.url, '/metrics');
        expect(res.headers.get('content-type')).toContain('text/plain');
        for (const line of [
          'ksn_emulator_requests_total{route="v1_lookup",status="200"} 1',
          'ksn_emulator_requests_total{route="v1_lookup",status="400"} 1',
          'ksn_emulator_lookup_items_total{verdict="malicious"} 1',
          'ksn_emulator_lookup_items_total{verdict="clean"} 1',
          'ksn_emulator_request_duration_seconds_bucket',
          'ksn_emulator_verdict_changes_total{reason="manual"} 0',
          'ksn_emulator_faults_injected_total{kind="error"} 0',
          'ksn_emulator_telemetry_records_total{outcome="accepted"} 0',
          'ksn_emulator_change_feed_waiting 0',
          'ksn_emulator_urgent_detections_pending 0',
          'ksn_emulator_process_cpu_seconds_total',
        ]) {
          expect(res.body).toContain(line);
        }
      } finally {
        await withDefaults.close();
      }
    });

    it('refuses bad options', async () => {
      await expect(startCloudEmulator({ port: 0, faults: { errorRate: 3 } })).rejects.toThrow(/errorRate/);
    });
  });
});
