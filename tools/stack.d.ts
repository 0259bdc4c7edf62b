import type { ChildProcess } from 'node:child_process';

export interface ReadyLine {
  event: 'ready';
  service: string;
  url: string;
  adminUrl?: string;
}

export interface Service {
  name: string;
  child: ChildProcess;
  /** The ready line; `{}` for a process started with a probe. */
  ready: Promise<ReadyLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

/** Spawns argv in its own process group (pinned with taskset when `core` is set); ready on its ready line or, given `probe`, when it answers true. */
export function startProcess(
  name: string,
  argv: string[],
  opts?: {
    env?: Record<string, string>;
    cwd?: string;
    core?: string;
    probe?: () => Promise<boolean>;
    onLine?: (line: string) => void;
    timeoutMs?: number;
  },
): Service;

export function startService(
  name: 'cloud-emulator' | 'security-center' | 'ksn-proxy',
  env: Record<string, string>,
  opts?: { onLine?: (line: string) => void; timeoutMs?: number; cwd?: string },
): Service;

export interface Stack {
  /** The temporary directory holding the database and the proxy's data (removed by stop). */
  dir: string;
  emulatorUrl: string;
  centerUrl: string;
  proxyUrl: string;
  proxyAdminUrl: string;
  /** Every output line of the three services, prefixed with the service's name. */
  logs: string[];
  stop(): Promise<void>;
}

export function startStack(opts: {
  proxyKey: string;
  enrolmentToken: string;
  adminPassword: string;
  center?: Record<string, string>;
  proxy?: Record<string, string>;
  emulator?: Record<string, string>;
  onLine?: (line: string) => void;
  /** How long to wait for the proxy's first policy snapshot (/readyz 200); default 60 s. */
  readyTimeoutMs?: number;
}): Promise<Stack>;

/** Polls a readiness URL (e.g. the proxy's /readyz) until it answers 200; throws after timeoutMs. */
export function untilReady(url: string, timeoutMs: number): Promise<void>;

export const ROOT: string;
