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

export const ROOT: string;
