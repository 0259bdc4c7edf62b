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
  ready: Promise<ReadyLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

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
