/**
 * Telemetry durability: records the proxy acknowledged while the upstream was down
 * survive a SIGKILL of the proxy (its spool is on disk), and once the upstream is back
 * each acknowledged submission is delivered exactly once past the idempotency key
 * (the upstream may see a retry, never a second accepted copy, and nothing is lost).
 */
import { call, report, sleep, start, startSoakStack, type SoakStack } from './stack';

interface Upload {
  idempotencyKey?: string;
  body: { kind: string; records: { n: number }[] };
}

async function faults(stack: SoakStack, change: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  if (res.status !== 200) throw new Error(`faults: ${res.status} ${await res.text()}`);
}

describe('soak: telemetry spool', () => {
  let stack: SoakStack;
  afterEach(async () => {
    await stack?.stop();
  });

  it('acknowledged records survive SIGKILL while the upstream is down and arrive exactly once after recovery', async () => {
    stack = await startSoakStack({ proxy: { SPOOL_RETRY_MS: '200', BREAKER_RESET_MS: '500' } });
    await faults(stack, { outage: 'unavailable' });
    const acknowledged: number[] = [];
    const refused: number[] = [];
    for (let n = 0; n < 200; n++) {
      const a = await call(`${stack.proxy.url}/v1/telemetry`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
        body: JSON.stringify({ kind: 'statistics', records: [{ n }] }),
      });
      if (a.status >= 200 && a.status < 300) acknowledged.push(n);
      else refused.push(a.status);
    }
    expect(refused.filter((s) => s !== 503 && s !== 429)).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(150);

    // Killed without a chance to flush anything.
    stack.proxy.service.child.kill('SIGKILL');
    await stack.proxy.service.exited;
    await faults(stack, { outage: 'off' });
    const t0 = performance.now();
    stack.proxy = await start('ksn-proxy', stack.proxyEnv);

    const delivered = async () =>
      (
        (await (await fetch(`${stack.emulator.url}/admin/telemetry?limit=1000`)).json()) as {
          records: Upload[];
        }
      ).records;
    let uploads = await delivered();
    while (
      new Set(uploads.flatMap((u) => u.body.records.map((r) => r.n))).size < acknowledged.length &&
      performance.now() - t0 < 60_000
    ) {
      await sleep(250);
      uploads = await delivered();
    }
    const drainMs = performance.now() - t0;
    const stats = (await (await fetch(`${stack.emulator.url}/admin/stats`)).json()) as Record<
      string,
      unknown
    >;
    const numbers = uploads.flatMap((u) => u.body.records.map((r) => r.n));
    const keys = uploads.map((u) => u.idempotencyKey);
    report('telemetry-spool-sigkill', {
      submitted: 200,
      acknowledged: acknowledged.length,
      refused: refused.length,
      deliveredUploads: uploads.length,
      distinctRecordsDelivered: new Set(numbers).size,
      drainAfterRestartMs: Math.round(drainMs),
      upstreamDuplicatesAbsorbed: Number(stats['telemetryDuplicates'] ?? 0),
    });
    // Every acknowledged record arrived, each one once (the sink keeps only first arrivals per key).
    expect([...new Set(numbers)].sort((a, b) => a - b)).toEqual(expect.arrayContaining(acknowledged));
    expect(numbers.length).toBe(new Set(numbers).size);
    // Every upload carried an idempotency key, and no key was accepted twice.
    expect(keys.every((k) => typeof k === 'string' && k.length > 0)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    // The spool is empty again: a second restart sends nothing more.
    await sleep(1000);
    const before = uploads.length;
    stack.proxy.service.child.kill('SIGKILL');
    await stack.proxy.service.exited;
    stack.proxy = await start('ksn-proxy', stack.proxyEnv);
    await sleep(2000);
    expect((await delivered()).length).toBe(before);
  });
});
