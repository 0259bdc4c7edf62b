/**
 * Tiering as a central proxy serves it: who may use the upstream protocol (`{keys}` lookups,
 * the relayed `GET /v1/changes`: only devices of TIER_CLIENT_GROUPS, the branch proxies),
 * the admission cap on tier lookups, and opaque change-feed cursors. Real servers on port 0:
 * FakeSecurityCenter, a scripted upstream recording every request, real proxies.
 */
import { MODULE_IDS, type ModuleId, type PolicySettings } from '@ksn/contracts';
import { DEFAULT_SETTINGS } from '@ksn/policy-engine';
import { listen, serverUrl } from '@ksn/service-kit';
import { createServer, type Server } from 'node:http';
import { FakeSecurityCenter } from '../test/fakes';
import { EICAR, file, lookup, startTestProxy, until } from '../test/rig';
import type { RunningProxy } from './server';

/** An upstream on port 0 that records every request; lookups answer `malicious`, the change feed `cursor`. */
class ScriptedUpstream {
  readonly requests: { path: string; since: string | null }[] = [];
  /** The cursor every change-feed page carries. */
  cursor = '1';
  /** Lookups are accepted and never answered (the upstream is stuck). */
  hangLookups = false;
  readonly server: Server;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://upstream');
        this.requests.push({ path: u.pathname, since: u.searchParams.get('since') });
        const json = (b: unknown) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(b));
        if (u.pathname === '/v1/lookup') {
          if (this.hangLookups) return;
          const { keys } = JSON.parse(body) as { keys: string[] };
          json({ results: keys.map((key) => ({ key, verdict: 'malicious', ttl: 3600 })) });
        } else if (u.pathname === '/v1/changes') {
          // A long-poll with nothing new: answered after a moment, so a follower does not spin.
          setTimeout(() => json({ cursor: this.cursor, changes: [] }), 100);
        } else res.writeHead(404).end();
      });
    });
  }

  get lookups(): number {
    return this.requests.filter((r) => r.path === '/v1/lookup').length;
  }

  get feedPolls(): { since: string | null }[] {
    return this.requests.filter((r) => r.path === '/v1/changes');
  }

  async start(): Promise<this> {
    await listen(this.server, 0, '127.0.0.1');
    this.url = serverUrl(this.server);
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const BRANCHES = 'branch-proxies';
/** Every cloud module off, KSN participation still `extended` (the group of the bug report). */
const NO_CLOUD: PolicySettings = {
  ...DEFAULT_SETTINGS,
  cloud: {
    modules: Object.fromEntries(MODULE_IDS.map((m) => [m, false])) as Record<ModuleId, boolean>,
  },
};

function tierLookup(proxy: RunningProxy, token: string, keys: string[]): Promise<Response> {
  return fetch(`${proxy.endpointUrl}/v1/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ keys }),
  });
}

/** `GET /v1/changes` with `since` as given (already encoded for the query string). */
function changes(proxy: RunningProxy, token: string, since: string): Promise<Response> {
  return fetch(`${proxy.endpointUrl}/v1/changes?since=${since}&wait=0`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

describe('tiering on a central proxy', () => {
  let sc: FakeSecurityCenter;
  let up: ScriptedUpstream;
  const proxies: RunningProxy[] = [];

  beforeEach(async () => {
    sc = await new FakeSecurityCenter(NO_CLOUD).start();
    sc.publish((s) =>
      s.groups.push({ id: BRANCHES, name: 'Branch proxies', parentId: 'g1', policy: DEFAULT_SETTINGS }),
    );
    up = await new ScriptedUpstream().start();
  });
  afterEach(async () => {
    for (const p of proxies.splice(0).reverse()) await p.close();
    await up.close();
    await sc.close();
  });

  async function central(env: Record<string, string> = {}): Promise<RunningProxy> {
    const proxy = await startTestProxy(sc, up.url, env);
    proxies.push(proxy);
    return proxy;
  }

  it('refuses the upstream protocol to an ordinary device (403 forbidden, nothing asked upstream), whatever TIER_CLIENT_GROUPS lists', async () => {
    const device = sc.token('dev-1', 'g1');
    for (const env of [{}, { TIER_CLIENT_GROUPS: BRANCHES }] as Record<string, string>[]) {
      const proxy = await central(env);
      // Its group has every cloud module off: the ordinary protocol says so...
      const ordinary = await lookup(proxy, device, [file(EICAR)]);
      expect(ordinary.status).toBe(403);
      expect(await ordinary.json()).toMatchObject({ error: 'cloud_disabled_for_module' });
      // ...and the upstream protocol is no way around it.
      const keys = await tierLookup(proxy, device, [`sha256:${EICAR}`]);
      expect(keys.status).toBe(403);
      const refused = (await keys.json()) as { error: string; message: string };
      expect(refused.error).toBe('forbidden');
      expect(refused.message).toContain('TIER_CLIENT_GROUPS');
      const feed = await changes(proxy, device, '');
      expect(feed.status).toBe(403);
      expect(await feed.json()).toMatchObject({ error: 'forbidden' });
    }
    expect(up.requests).toEqual([]);
  });

  it('looks at the device group after moves: a branch token moved out of TIER_CLIENT_GROUPS is refused', async () => {
    const proxy = await central({ TIER_CLIENT_GROUPS: BRANCHES });
    const branch = sc.token('proxy-branch-1', BRANCHES);
    const device = sc.token('dev-2', 'g1');
    sc.publish((s) => {
      s.moved.push({ deviceId: 'proxy-branch-1', groupId: 'g1', at: new Date().toISOString() });
      s.moved.push({ deviceId: 'dev-2', groupId: BRANCHES, at: new Date().toISOString() });
    });
    await until(() => (proxy.store.current?.moved.size ?? 0) === 2);
    const movedOut = await tierLookup(proxy, branch, [`sha256:${EICAR}`]);
    expect(movedOut.status).toBe(403);
    expect(await movedOut.json()).toMatchObject({ error: 'forbidden' });
    expect(up.requests).toEqual([]);
    expect((await tierLookup(proxy, device, [`sha256:${EICAR}`])).status).toBe(200);
  });

  it('answers a branch of TIER_CLIENT_GROUPS ({keys} lookups, the change feed) while its participation is not off', async () => {
    const proxy = await central({ TIER_CLIENT_GROUPS: ` other-group , ${BRANCHES}` });
    const branch = sc.token('proxy-branch-1', BRANCHES);
    const res = await tierLookup(proxy, branch, [`sha256:${EICAR}`]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      results: [{ key: `sha256:${EICAR}`, verdict: 'malicious', ttl: 3600 }],
    });
    expect(up.lookups).toBe(1);
    const feed = await changes(proxy, branch, '');
    expect(feed.status).toBe(200);
    expect(await feed.json()).toEqual({ cursor: '1', changes: [] });

    // KSN participation off for the branches' group: nothing leaves the network for it.
    sc.publish((s) => {
      const g = s.groups.find((x) => x.id === BRANCHES)!;
      g.policy = { ...g.policy, ksn: { ...g.policy.ksn, participation: 'off' } };
    });
    await until(() => proxy.store.current?.groups.get(BRANCHES)?.ksn.participation === 'off');
    const asked = up.requests.length;
    const off = await tierLookup(proxy, branch, [`sha256:${'a'.repeat(64)}`]);
    expect(off.status).toBe(403);
    expect(await off.json()).toMatchObject({ error: 'cloud_disabled_for_module' });
    expect((await changes(proxy, branch, '')).status).toBe(403);
    expect(up.requests.length).toBe(asked);
  });

  it('tier lookups obey UPSTREAM_MAX_PENDING_KEYS: a fast 503 overloaded, nothing asked upstream', async () => {
    const proxy = await central({
      TIER_CLIENT_GROUPS: BRANCHES,
      UPSTREAM_MAX_PENDING_KEYS: '2',
      UPSTREAM_TIMEOUT_MS: '3000',
    });
    up.hangLookups = true;
    const branch = sc.token('proxy-branch-1', BRANCHES);
    const started = Date.now();
    const res = await tierLookup(
      proxy,
      branch,
      ['a', 'b', 'c'].map((c) => `sha256:${c.repeat(64)}`),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: 'overloaded' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(up.lookups).toBe(0);
  });

  it('relays opaque change-feed cursors (any URL-safe printable characters up to 200), passed on encoded', async () => {
    const proxy = await central({ TIER_CLIENT_GROUPS: BRANCHES });
    const branch = sc.token('proxy-branch-1', BRANCHES);
    up.cursor = 'eyJzZXEiOjQyfQ==.v2/shard:7,a+b~_-';
    const cursors = ['', '42', 'eyJzZXEiOjQyfQ==.v2/shard:7,a+b~_-', 'c'.repeat(200)];
    for (const since of cursors) {
      const res = await changes(proxy, branch, encodeURIComponent(since));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ cursor: up.cursor, changes: [] });
    }
    expect(up.feedPolls.map((p) => p.since)).toEqual(cursors);
  });

  it('refuses a cursor that is too long or not URL-safe printable characters: 400 naming since, nothing relayed', async () => {
    const proxy = await central({ TIER_CLIENT_GROUPS: BRANCHES });
    const branch = sc.token('proxy-branch-1', BRANCHES);
    const bad = [
      'c'.repeat(201),
      'a b',
      'é',
      'a\nb',
      'a\u0000b',
      '<script>',
      '"1"',
      'a&wait=60',
      '1;2',
      '%41',
    ];
    for (const since of bad) {
      const res = await changes(proxy, branch, encodeURIComponent(since));
      expect({ since, status: res.status }).toEqual({ since, status: 400 });
      expect(await res.json()).toMatchObject({ error: 'invalid_request', field: 'since' });
    }
    expect(up.feedPolls).toEqual([]);
  });

  it('a branch follows a central proxy whose upstream feed has opaque cursors', async () => {
    // The central proxy's own feed off: every poll the upstream sees is the branch's, relayed.
    const proxy = await central({ TIER_CLIENT_GROUPS: BRANCHES, CHANGE_FEED_WAIT_SECONDS: '0' });
    up.cursor = 'page_2.eyJ0IjoxfQ==';
    const branch = await startTestProxy(sc, proxy.endpointUrl, {
      UPSTREAM_API_KEY: sc.token('proxy-branch-1', BRANCHES),
      CHANGE_FEED_WAIT_SECONDS: '1',
    });
    proxies.push(branch);
    // Devices of the branch keep their own policy: give g1 its cloud back for this lookup.
    sc.publish((s) => (s.groups.find((g) => g.id === 'g1')!.policy = DEFAULT_SETTINGS));
    await until(
      () => branch.store.current?.groups.get('g1')?.cloud.modules['file-threat-protection'] === true,
    );
    expect((await lookup(branch, sc.token(), [file(EICAR)])).status).toBe(200);
    // The branch's second poll carries the opaque cursor of the first page, through the central proxy.
    await until(() => up.feedPolls.some((p) => p.since === up.cursor));
    expect(up.feedPolls[0]!.since).toBe('');
  }, 15_000);
});
