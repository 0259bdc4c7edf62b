// tools/ is not an Nx project: the launcher (npm start), the e2e harness and these tests share its process starter.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startStack as startProduct, type Stack } from '../../../tools/stack';
import { run } from '../src/cli';
import type { Io } from '../src/io';

export type { Stack };
export const PROXY_KEY = 'kp_cli-test-proxy-key-0123456789abcdef';
export const ENROLMENT_TOKEN = 'ke_cli-test-enrolment-token-0123456789';

/** The product as real processes (built apps) on free ports, on a fresh SQLite database. */
export function startStack(): Promise<Stack> {
  const quiet = { LOG_LEVEL: 'warn' };
  return startProduct({
    proxyKey: PROXY_KEY,
    enrolmentToken: ENROLMENT_TOKEN,
    adminPassword: 'cli test admin password',
    emulator: quiet,
    center: quiet,
    proxy: quiet,
  });
}

export interface Ran {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the CLI in-process with a private HOME and environment. */
export async function ksn(
  argv: string[],
  env: Record<string, string | undefined>,
  opts: { home: string; cwd?: string; now?: () => number },
): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env,
    cwd: opts.cwd ?? opts.home,
    home: opts.home,
    now: opts.now ?? (() => Date.now()),
  };
  const code = await run(argv, io);
  const o = out.join('\n');
  return { code, out: o, err: err.join('\n'), json: <T>() => JSON.parse(o) as T };
}
