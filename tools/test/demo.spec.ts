import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Summary {
  event: 'demo-summary';
  devices: number;
  groups: string[];
  groupsNote: string;
  requests: number;
  items: number;
  bySource: Record<string, number>;
  byDecision: Record<string, number>;
  refusedModule: number;
  errors: number;
  telemetry: { forwarded: number; refused: number; other: number };
}

describe('npm run demo (tools/demo.mjs)', () => {
  const dataDir = `tmp/ops-demo-test-${process.pid}`;
  afterAll(() => rmSync(join(ROOT, dataDir), { recursive: true, force: true }));

  it('starts the product, enrols devices in groups with different policies, and sends lookups and telemetry', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'tools', 'demo.mjs')], {
      cwd: ROOT,
      env: {
        ...process.env,
        KSN_SKIP_BUILD: '1',
        KSN_DATA_DIR: dataDir,
        EMULATOR_PORT: '0',
        SECURITY_CENTER_PORT: '0',
        PROXY_PORT: '0',
        PROXY_ADMIN_PORT: '0',
        DEMO_DEVICES: '8',
        DEMO_RATE: '40',
        DEMO_DURATION_SECONDS: '8',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = out.split('\n').find((l) => l.startsWith('{"event":"demo-summary"'));
    if (!line) throw new Error(`no summary (exit ${code}):\n${out.slice(-4000)}`);
    const s = JSON.parse(line) as Summary;

    expect(code).toBe(0);
    expect(s.devices).toBe(8);
    expect(s.errors).toBe(0);
    expect(s.requests).toBeGreaterThan(100);
    // Zipf traffic: popular objects come back from the cache.
    expect(s.bySource['cache'] ?? 0).toBeGreaterThan(0);
    expect(s.bySource['upstream'] ?? 0).toBeGreaterThan(0);
    // Only a security-center without the group API may leave the demo on the default group.
    expect(s.groupsNote).toMatch(/^3 demo groups|GET \/api\/v1\/groups: 404/);
    if (s.groups.length > 1) {
      expect(s.groups).toEqual(['default group', 'Demo workstations', 'Demo servers', 'Demo kiosks']);
      expect(s.telemetry.forwarded).toBeGreaterThan(0);
      // "Demo servers" send nothing: their telemetry is refused by policy.
      expect(s.telemetry.refused).toBeGreaterThan(0);
      // "Demo kiosks" have web lookups off.
      expect(s.refusedModule).toBeGreaterThan(0);
    }
  }, 120_000);
});
