import { run } from './cli';
import type { Io } from './io';

async function ksn(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    cwd: '/',
    home: '/nonexistent',
    now: () => 0,
  };
  const code = await run(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe(run.name, () => {
  it('prints the usage with --help, exit 0', async () => {
    const r = await ksn(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('ksn lookup [--module MODULE]');
    expect(r.out).toContain('Exit codes: 0 allowed');
  });

  it('needs a known command: exit 2 with the list', async () => {
    expect(await ksn([])).toMatchObject({
      code: 2,
      err: expect.stringContaining('a command is needed: enroll, lookup, policy, doctor'),
    });
    expect(await ksn(['frobnicate'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown command "frobnicate"'),
    });
  });

  it('reports errors as JSON on stdout with --json', async () => {
    const r = await ksn(['lookup', '--json', '--batch-size', 'many']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual({
      error: 'usage',
      message: '--batch-size must be an integer from 1 to 1000, got "many"',
    });
    expect(r.err).toBe('');
  });

  it('enroll needs an enrolment token', async () => {
    expect(await ksn(['enroll'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('enroll needs an enrolment token'),
    });
  });
});
