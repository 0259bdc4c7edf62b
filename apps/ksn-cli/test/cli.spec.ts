import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ENROLMENT_TOKEN, ksn, startStack, type Stack } from './stack';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';
const REGEDIT_MD5 = '2e2c937846a0b8789e5e91739284d17a';

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface LookupJson {
  blocked: boolean;
  results: {
    input: string;
    key: string;
    verdict: string;
    decision: string;
    source: string;
    module: string;
    ttl: number;
  }[];
}
interface DoctorJson {
  ok: boolean;
  checks: { name: string; status: string; detail: string }[];
}

describe('ksn CLI against the running product', () => {
  let stack: Stack;
  let home: string;
  let env: Record<string, string>;
  let tokenFile: string;

  beforeAll(async () => {
    stack = await startStack();
    home = mkdtempSync(join(tmpdir(), 'ksn-cli-home-'));
    tokenFile = join(home, '.config', 'ksn', 'token.json');
    env = { KSN_PROXY_URL: stack.proxyUrl, KSN_SECURITY_CENTER_URL: stack.centerUrl };
  }, 120_000);

  /** Endpoint lookup requests the proxy has counted (its /metrics). */
  async function lookupRequests(): Promise<number> {
    const text = await (await fetch(`${stack.proxyAdminUrl}/metrics`)).text();
    let n = 0;
    for (const m of text.matchAll(/^ksn_proxy_requests_total\{[^}]*route="lookup"[^}]*\} (\d+)$/gm))
      n += Number(m[1]);
    return n;
  }

  afterAll(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  describe('before enrolment', () => {
    it('lookup says the device is not enrolled, exit 2', async () => {
      const r = await ksn(['lookup', EICAR_SHA256], env, { home });
      expect(r.code).toBe(2);
      expect(r.err).toContain('ksn enroll');
    });

    it('enroll with a wrong enrolment token fails with the server reason, exit 2, no token file', async () => {
      const r = await ksn(
        ['enroll', '--enrolment-token', 'ke_not-a-real-token-000000', '--name', 'pc-1'],
        env,
        { home },
      );
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/enrolment at .*: 40[13]/);
      expect(existsSync(tokenFile)).toBe(false);
    });

    it('enroll against an unreachable security-center names the URL, exit 2', async () => {
      const r = await ksn(
        [
          'enroll',
          '--enrolment-token',
          ENROLMENT_TOKEN,
          '--security-center',
          `http://127.0.0.1:${await closedPort()}`,
        ],
        env,
        { home },
      );
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/http:\/\/127\.0\.0\.1:\d+\/api\/v1\/enrol: ECONNREFUSED/);
    });
  });

  describe('enrolled', () => {
    beforeAll(async () => {
      const r = await ksn(
        ['enroll', '--enrolment-token', ENROLMENT_TOKEN, '--name', 'cli-test-laptop', '--json'],
        env,
        { home },
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    });

    it('keeps the token in ~/.config/ksn/token.json, mode 0600, in a 0700 directory', () => {
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, '.config', 'ksn')).mode & 0o777).toBe(0o700);
      const stored = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, string>;
      expect(stored['token']!.length).toBeGreaterThan(20);
      expect(Date.parse(stored['expiresAt']!)).toBeGreaterThan(Date.now());
      expect(stored['securityCenterUrl']).toBe(stack.centerUrl);
    });

    it('looks up hashes: EICAR is blocked (exit 1), regedit is allowed (exit 0)', async () => {
      const bad = await ksn(['lookup', '--json', EICAR_SHA256.toUpperCase()], env, { home });
      expect(bad.code).toBe(1);
      const b = bad.json<LookupJson>();
      expect(b.blocked).toBe(true);
      expect(b.results).toEqual([
        expect.objectContaining({
          key: `sha256:${EICAR_SHA256}`,
          verdict: 'malicious',
          decision: 'block',
          module: 'file-threat-protection',
        }),
      ]);

      const good = await ksn(['lookup', REGEDIT_MD5], env, { home });
      expect(good.code).toBe(0);
      expect(good.out).toMatch(/^DECISION\s+VERDICT\s+SOURCE\s+OBJECT/);
      expect(good.out).toMatch(new RegExp(`ALLOW\\s+clean\\s+(upstream|cache)\\s+${REGEDIT_MD5}`));
    });

    it('hashes local files and sends only the hash; the second ask is answered from the cache', async () => {
      const dir = join(home, 'files');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'eicar.com'), EICAR);
      const first = await ksn(['lookup', '--json', 'files/eicar.com'], env, { home });
      expect(first.code).toBe(1);
      expect(first.json<LookupJson>().results[0]).toMatchObject({
        input: 'files/eicar.com',
        key: `sha256:${EICAR_SHA256}`,
        decision: 'block',
      });
      const again = await ksn(['lookup', '--json', join(dir, 'eicar.com')], env, { home });
      expect(again.json<LookupJson>().results[0]!.source).toBe('cache');
      // The proxy asked the upstream about the hash, never about a path.
      const asked = (await (
        await fetch(`${stack.emulatorUrl}/admin/asked?key=sha256:${EICAR_SHA256}`)
      ).json()) as { count: number };
      expect(asked.count).toBeGreaterThanOrEqual(1);
    });

    it('walks directories, batches, and prints results in command-line order across modules', async () => {
      const dir = join(home, 'tree');
      mkdirSync(join(dir, 'sub'), { recursive: true });
      for (let i = 0; i < 5; i++)
        writeFileSync(join(dir, i < 3 ? `f${i}.bin` : `sub/f${i}.bin`), `file number ${i}`);
      const before = await lookupRequests();
      const r = await ksn(
        ['lookup', '--json', '--batch-size', '2', 'https://www.Example.com:443/x#frag', 'tree', REGEDIT_MD5],
        env,
        { home },
      );
      // One request for the URL (its own module), three for the six file hashes in batches of two.
      expect((await lookupRequests()) - before).toBe(4);
      const results = r.json<LookupJson>().results;
      // The emulator's synthetic corpus decides what these new files are; the exit code follows.
      expect(r.code).toBe(results.some((x) => x.decision === 'block') ? 1 : 0);
      expect(results.map((x) => x.input)).toEqual([
        'https://www.Example.com:443/x#frag',
        join(dir, 'f0.bin'),
        join(dir, 'f1.bin'),
        join(dir, 'f2.bin'),
        join(dir, 'sub', 'f3.bin'),
        join(dir, 'sub', 'f4.bin'),
        REGEDIT_MD5,
      ]);
      expect(results[0]).toMatchObject({
        key: 'url:https://www.example.com/x',
        module: 'web-threat-protection',
      });
      expect(results.slice(1).every((x) => x.module === 'file-threat-protection')).toBe(true);
    });

    it('rejects what is neither file, hash nor URL, and unknown modules, with exit 2 before asking', async () => {
      const r = await ksn(['lookup', 'no-such-file-or-hash'], env, { home });
      expect(r.code).toBe(2);
      expect(r.err).toContain(
        '"no-such-file-or-hash" is not a file, a directory, an MD5/SHA-1/SHA-256 hash or an http(s) URL',
      );
      const m = await ksn(['lookup', '--module', 'nope', REGEDIT_MD5, '--json'], env, { home });
      expect(m.code).toBe(2);
      expect(m.json()).toMatchObject({
        error: 'usage',
        message: expect.stringContaining('--module must be one of'),
      });
    });

    it('shows the effective policy of the device', async () => {
      const stored = JSON.parse(readFileSync(tokenFile, 'utf8')) as { deviceId: string; groupId: string };
      const r = await ksn(['policy', '--json'], env, { home });
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({
        deviceId: stored.deviceId,
        groupId: stored.groupId,
        policy: { cloud: { modules: expect.any(Object) } },
      });
      const text = await ksn(['policy'], env, { home });
      expect(text.out).toContain(`Device ${stored.deviceId}, group ${stored.groupId}`);
      expect(text.out).toMatch(/on \s+file-threat-protection/);
    });

    it('doctor passes every check against the healthy stack', async () => {
      const r = await ksn(['doctor', '--json', '--admin-url', stack.proxyAdminUrl], env, { home });
      const d = r.json<DoctorJson>();
      expect(d.checks.filter((c) => c.status !== 'ok')).toEqual([]);
      expect(d.checks.map((c) => c.name)).toEqual([
        'proxy reachable',
        'device token',
        'token accepted',
        'policy snapshot',
        'upstream via proxy',
        'token renewal',
      ]);
      expect(d.checks.find((c) => c.name === 'policy snapshot')!.detail).toMatch(
        /generated (\d+m )?\d+s ago/,
      );
      expect(r.code).toBe(0);
    });

    it('doctor fails "upstream via proxy" when the upstream is down, and names it', async () => {
      const set = (outage: string) =>
        fetch(`${stack.emulatorUrl}/admin/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outage }),
        });
      expect((await set('unavailable')).status).toBe(200);
      try {
        const r = await ksn(['doctor', '--json'], env, { home });
        expect(r.code).toBe(2);
        const d = r.json<DoctorJson>();
        expect(d.ok).toBe(false);
        expect(d.checks.find((c) => c.name === 'token accepted')!.status).toBe('ok');
        expect(d.checks.find((c) => c.name === 'upstream via proxy')).toMatchObject({
          status: 'fail',
          detail: expect.stringMatching(/lookup: 50[234]/),
        });
      } finally {
        await set('off');
      }
    });

    it('doctor reports an unreachable proxy and skips what depends on it', async () => {
      const port = await closedPort();
      const r = await ksn(['doctor', '--proxy', `http://127.0.0.1:${port}`], env, { home });
      expect(r.code).toBe(2);
      expect(r.out).toMatch(
        new RegExp(`FAIL\\s+proxy reachable\\s+GET http://127\\.0\\.0\\.1:${port}/v1/policy: ECONNREFUSED`),
      );
      expect(r.out).toMatch(/SKIP\s+upstream via proxy/);
      expect(r.out).toContain('Some checks failed.');
    });

    it('renews a token near expiry through the proxy when it offers /v1/token/refresh, and keeps working otherwise', async () => {
      const stored = JSON.parse(readFileSync(tokenFile, 'utf8')) as {
        token: string;
        expiresAt: string;
        obtainedAt: string;
      };
      // Seen from 30 minutes before expiry, the token is due for renewal.
      const now = () => Date.parse(stored.expiresAt) - 30 * 60_000;
      // Does this proxy have the route? (No token: a 404 only when the route is missing.)
      const probe = await fetch(`${stack.proxyUrl}/v1/token/refresh`, { method: 'POST' });
      const r = await ksn(['lookup', REGEDIT_MD5], env, { home, now });
      expect(r.code).toBe(0);
      const after = JSON.parse(readFileSync(tokenFile, 'utf8')) as {
        token: string;
        expiresAt: string;
        obtainedAt: string;
      };
      if (probe.status === 404) {
        // Proxy without the route: the token is kept, and lookups go on.
        expect(after).toEqual(stored);
      } else {
        // Renewed without a warning, stored at the CLI's "now", still private, and accepted.
        expect(r.err).toBe('');
        expect(after.obtainedAt).toBe(new Date(now()).toISOString());
        expect(Date.parse(after.expiresAt)).toBeGreaterThanOrEqual(Date.parse(stored.expiresAt));
        expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
        expect((await ksn(['policy'], env, { home })).code).toBe(0);
      }
    });

    it('the built binary exits 1 on a blocked object and prints JSON', async () => {
      const bin = join(__dirname, '..', 'dist', 'main.js');
      expect(existsSync(bin)).toBe(true); // npm test builds first; else: npx tsc -b apps/ksn-cli/tsconfig.app.json
      const result = await promisify(execFile)(process.execPath, [bin, 'lookup', '--json', EICAR_SHA256], {
        env: { ...process.env, ...env, HOME: home, XDG_CONFIG_HOME: '' },
      }).then(
        () => ({ code: 0, stdout: '' }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
      expect(result.code).toBe(1);
      expect((JSON.parse(result.stdout) as LookupJson).results[0]!.decision).toBe('block');
    });
  });
});
