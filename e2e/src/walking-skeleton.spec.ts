import type { DashboardResponse, LookupResponse, TokenResponse } from '@ksn/contracts';
import { randomBytes } from 'node:crypto';
import { ADMIN_PASSWORD, ENROLMENT_TOKEN, startStack, until, type Stack } from './harness';

const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';

describe('the whole stack: endpoint → proxy → cloud, policy from security-center', () => {
  let stack: Stack;
  let token: string;

  const lookup = (items: unknown[], auth: string | null = token) =>
    fetch(`${stack.proxyUrl}/v1/lookup`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth !== null && { authorization: `Bearer ${auth}` }),
      },
      body: JSON.stringify({ module: 'file-threat-protection', items }),
    });
  const asked = async (key: string) =>
    (
      (await (await fetch(`${stack.emulatorUrl}/admin/asked?key=${encodeURIComponent(key)}`)).json()) as {
        count: number;
      }
    ).count;

  beforeAll(async () => {
    stack = await startStack();
    const enrol = await fetch(`${stack.centerUrl}/api/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enrolmentToken: ENROLMENT_TOKEN, deviceName: 'e2e-laptop' }),
    });
    expect(enrol.status).toBe(201);
    token = ((await enrol.json()) as TokenResponse).token;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('looks up EICAR (malicious), regedit.exe (clean) and an unknown file', async () => {
    // A hash the emulator does not know (it knows ~70 % of hashes): ask its details route, which is not a lookup.
    const unknown = await until(async () => {
      const h = randomBytes(32).toString('hex');
      const d = (await (await fetch(`${stack.emulatorUrl}/v1/files/${h}/details`)).json()) as {
        verdict: string;
      };
      return d.verdict === 'unknown' ? h : undefined;
    });
    const res = await lookup([
      { type: 'file', sha256: EICAR_SHA256 },
      { type: 'file', md5: REGEDIT_MD5.toUpperCase() },
      { type: 'file', sha256: unknown },
    ]);
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as LookupResponse;
    expect(results).toEqual([
      expect.objectContaining({
        key: `sha256:${EICAR_SHA256}`,
        verdict: 'malicious',
        decision: 'block',
        source: 'upstream',
      }),
      expect.objectContaining({
        key: `md5:${REGEDIT_MD5}`,
        verdict: 'clean',
        decision: 'allow',
        source: 'upstream',
        category: 'Golden Image/Operating Systems & Utilities/OS Components',
      }),
      expect.objectContaining({
        key: `sha256:${unknown}`,
        verdict: 'unknown',
        decision: 'allow',
        source: 'upstream',
      }),
    ]);
  });

  it('answers the same lookup again from the cache, with exactly one upstream question', async () => {
    const again = (await (await lookup([{ type: 'file', sha256: EICAR_SHA256 }])).json()) as LookupResponse;
    expect(again.results[0]).toMatchObject({ verdict: 'malicious', source: 'cache' });
    expect(await asked(`sha256:${EICAR_SHA256}`)).toBe(1);
  });

  it('refuses a request without a token (401) and a malformed hash (400 naming the field)', async () => {
    const anonymous = await lookup([{ type: 'file', sha256: EICAR_SHA256 }], null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    const malformed = await lookup([
      { type: 'file', sha256: EICAR_SHA256 },
      { type: 'file', md5: 'not-a-hash' },
    ]);
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_request', field: 'items[1].md5' });
  });

  it('shows the proxy and its traffic on the console dashboard', async () => {
    const login = await fetch(`${stack.centerUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const dash = await until(async () => {
      const d = (await (
        await fetch(`${stack.centerUrl}/api/v1/dashboard`, { headers: { cookie } })
      ).json()) as DashboardResponse;
      return d.totals.cacheHits >= 1 ? d : undefined;
    });
    expect(dash.proxies).toEqual([expect.objectContaining({ name: 'local', connected: true })]);
    expect(dash.totals.lookups).toBeGreaterThanOrEqual(4);
    expect(dash.devices).toBe(1);
  });
});
