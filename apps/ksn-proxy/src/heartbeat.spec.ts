/** Heartbeats against a real (fake) security-center: what one beat may carry, and what waits for the next. */
import { compile, Heartbeat, zeroCounters } from '@ksn/contracts';
import { FakeSecurityCenter, PROXY_KEY } from '../test/fakes';
import { quiet, tempDir } from '../test/rig';
import { Heartbeats } from './heartbeat';
import { Insights } from './insights';
import { TrafficLog } from './traffic';

const validHeartbeat = compile(Heartbeat);

describe('ksn-proxy heartbeats', () => {
  let sc: FakeSecurityCenter;
  beforeEach(async () => {
    sc = await new FakeSecurityCenter().start();
  });
  afterEach(() => sc.close());

  it('sends counters within the contract after a long outage and carries the rest into the next beats', async () => {
    const counters = zeroCounters();
    const beats = new Heartbeats({
      securityCenterUrl: sc.url,
      apiKey: PROXY_KEY,
      intervalMs: 60_000,
      counters,
      describe: () => ({ instanceId: 'p1', version: 'test', snapshotVersion: 1, cacheEntries: 0 }),
      insights: new Insights(),
      traffic: new TrafficLog({ dataDir: tempDir(), maxBytes: 1 << 20, files: 2, log: quiet }),
      log: quiet,
    });
    // A day of lookups counted while security-center was away (a 32-bit column holds 2,147,483,647).
    counters.lookups = 5_000_000_000;
    counters.cacheHits = 7;
    counters.bytesSaved = 3e12;
    await beats.beat();
    await beats.beat();
    await beats.beat();
    const sent = sc.heartbeats as Heartbeat[];
    expect(sent).toHaveLength(3);
    for (const beat of sent) expect(validHeartbeat.validate(beat)).toMatchObject({ ok: true });
    expect(sent.map((b) => b.counters.lookups)).toEqual([2_147_483_647, 2_147_483_647, 705_032_706]);
    expect(sent.map((b) => b.counters.cacheHits)).toEqual([7, 0, 0]);
    expect(sent[0]!.counters.bytesSaved).toBe(3e12);
    expect(counters.lookups).toBe(0);
  });
});
