import type { ChangesResponse, FileDetails, UpstreamLookupResponse } from '@ksn/contracts';
import { randomBytes } from 'node:crypto';
import { startCloudEmulator, type RunningEmulator } from './server';

const post = (e: RunningEmulator, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${e.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe(startCloudEmulator.name, () => {
  let emu: RunningEmulator;
  beforeEach(async () => {
    emu = await startCloudEmulator({ port: 0, seed: 'spec' });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('answers the well-known objects', async () => {
    const res = (await (await post(emu, '/v1/lookup', { keys: ['sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f', 'md5:2e2c937846a0b8789e5e91739284d17a'] })).json()) as UpstreamLookupResponse;
    expect(res.results[0]).toMatchObject({ verdict: 'malicious' });
    expect(res.results[1]).toMatchObject({ verdict: 'clean', vendor: 'Microsoft Corporation', category: 'Golden Image/Operating Systems & Utilities/OS Components' });
  });

  it('is deterministic per seed, with about 70 % known and 30 % unknown', async () => {
    const keys = Array.from({ length: 1000 }, () => `sha256:${randomBytes(32).toString('hex')}`);
    const a = (await (await post(emu, '/v1/lookup', { keys })).json()) as UpstreamLookupResponse;
    const b = (await (await post(emu, '/v1/lookup', { keys })).json()) as UpstreamLookupResponse;
    expect(b).toEqual(a);
    const unknown = a.results.filter((r) => r.verdict === 'unknown').length / keys.length;
    expect(unknown).toBeGreaterThan(0.24);
    expect(unknown).toBeLessThan(0.36);
    const other = await startCloudEmulator({ port: 0, seed: 'other' });
    const c = (await (await post(other, '/v1/lookup', { keys })).json()) as UpstreamLookupResponse;
    await other.close();
    expect(c).not.toEqual(a);
  });

  it('counts how often each key was asked and refuses malformed keys naming the field', async () => {
    await post(emu, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32)] });
    await post(emu, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32)] });
    expect(await (await fetch(`${emu.url}/admin/asked?key=md5:${'0'.repeat(32)}`)).json()).toEqual({ key: `md5:${'0'.repeat(32)}`, count: 2 });
    const bad = await post(emu, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32), 'sha256:XYZ'] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_request', field: 'keys[1]' });
  });

  it('gives file details with reputation fields, and categories that cover every path', async () => {
    const d = (await (await fetch(`${emu.url}/v1/files/2E2C937846A0B8789E5E91739284D17A/details`)).json()) as FileDetails;
    expect(d).toMatchObject({ key: 'md5:2e2c937846a0b8789e5e91739284d17a', verdict: 'clean', vendor: 'Microsoft Corporation', certificateStatus: 'valid' });
    expect(d.users!.month).toBeGreaterThanOrEqual(d.users!.week);
    const tree = (await (await fetch(`${emu.url}/v1/categories`)).json()) as { categories: { path: string; children: { path: string }[] }[] };
    expect(tree.categories.map((c) => c.path)).toEqual(expect.arrayContaining(['Golden Image', 'Games', 'Browsers', 'Office']));
  });

  it('publishes a manual verdict change to a waiting long-poll of the change feed', async () => {
    const key = `sha256:${'c'.repeat(64)}`;
    const waiting = fetch(`${emu.url}/v1/changes?since=0&wait=5`).then((r) => r.json() as Promise<ChangesResponse>);
    await new Promise((r) => setTimeout(r, 100));
    const before = ((await (await post(emu, '/v1/lookup', { keys: [key] })).json()) as UpstreamLookupResponse).results[0]!.verdict;
    const target = before === 'malicious' ? 'clean' : 'malicious';
    await post(emu, '/admin/verdicts', { key, verdict: target });
    const feed = await waiting;
    expect(feed.changes).toEqual([expect.objectContaining({ key, verdict: target, previous: before, cursor: '1' })]);
    expect(((await (await post(emu, '/v1/lookup', { keys: [key] })).json()) as UpstreamLookupResponse).results[0]!.verdict).toBe(target);
    const empty = (await (await fetch(`${emu.url}/v1/changes?since=1&wait=0`)).json()) as ChangesResponse;
    expect(empty).toEqual({ cursor: '1', changes: [] });
  });

  it('keeps telemetry, once per idempotency key, and requires the API key when set', async () => {
    await post(emu, '/v1/telemetry', { n: 1 }, { 'idempotency-key': 'k1' });
    await post(emu, '/v1/telemetry', { n: 1 }, { 'idempotency-key': 'k1' });
    expect(await (await fetch(`${emu.url}/admin/stats`)).json()).toMatchObject({ telemetryAccepted: 1 });
    const locked = await startCloudEmulator({ port: 0, apiKey: 'secret-key' });
    expect((await post(locked, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32)] })).status).toBe(401);
    expect((await post(locked, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32)] }, { authorization: 'Bearer secret-key' })).status).toBe(200);
    await locked.close();
  });

  it('exports its metrics', async () => {
    await post(emu, '/v1/lookup', { keys: ['md5:' + '0'.repeat(32)] });
    const text = await (await fetch(`${emu.url}/metrics`)).text();
    expect(text).toContain('ksn_emulator_requests_total{route="v1_lookup",status="200"} 1');
    expect(text).toContain('ksn_emulator_lookup_items_total');
  });
});
