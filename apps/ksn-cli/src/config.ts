import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from './errors';
import type { Io } from './io';

export const DEFAULT_PROXY_URL = 'http://127.0.0.1:13111';
export const DEFAULT_SECURITY_CENTER_URL = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The environment variables the CLI reads (docs/configuration.md is generated from this list). */
export const CLI_ENV: Record<string, { default: string; description: string }> = {
  KSN_PROXY_URL: { default: DEFAULT_PROXY_URL, description: 'ksn-proxy endpoint API (`--proxy`)' },
  KSN_TOKEN_FILE: {
    default: '~/.config/ksn/token.json',
    description:
      'Device token file, written with mode 0600 (`--token-file`; `$XDG_CONFIG_HOME/ksn/token.json` when XDG_CONFIG_HOME is set)',
  },
  KSN_SECURITY_CENTER_URL: {
    default: DEFAULT_SECURITY_CENTER_URL,
    description: 'Security Center, for `ksn enroll` (`--security-center`)',
  },
  KSN_ENROLMENT_TOKEN: {
    default: '',
    description: 'Enrolment token for `ksn enroll` (`--enrolment-token`), created in the console',
  },
  KSN_PROXY_ADMIN_URL: {
    default: '',
    description:
      "The proxy's admin listener, for the snapshot age in `ksn doctor` (`--admin-url`; http://127.0.0.1:13112 when the proxy URL is the default)",
  },
  KSN_TIMEOUT_MS: {
    default: String(DEFAULT_TIMEOUT_MS),
    description: 'Per-request time-out in milliseconds (`--timeout`)',
  },
};

/** Every option of every command (parseArgs is strict: an unknown option is a usage error). */
const OPTIONS = {
  proxy: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'security-center': { type: 'string' },
  'enrolment-token': { type: 'string' },
  name: { type: 'string' },
  module: { type: 'string' },
  'batch-size': { type: 'string' },
  'admin-url': { type: 'string' },
} as const;

export interface Settings {
  command: string | undefined;
  positionals: string[];
  json: boolean;
  help: boolean;
  proxyUrl: string;
  tokenFile: string;
  timeoutMs: number;
  securityCenterUrl: string;
  enrolmentToken: string | undefined;
  deviceName: string | undefined;
  module: string | undefined;
  batchSize: number | undefined;
  adminUrl: string | undefined;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('usage', `${name} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError('usage', `${name} must be an http(s) URL, got "${value}"`);
  return url.href.replace(/\/+$/, '');
}

function positiveInt(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new CliError('usage', `${name} must be an integer from 1 to ${max}, got "${value}"`);
  return n;
}

/** Command line and environment to settings; flags win over environment variables. */
export function parseSettings(argv: string[], io: Io): Settings {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw new CliError('usage', (e as Error).message);
    }
  })();
  const v = parsed.values;
  const env = io.env;
  const [command, ...positionals] = parsed.positionals;
  const configHome = env['XDG_CONFIG_HOME'] || join(io.home, '.config');
  return {
    command,
    positionals,
    json: v.json ?? false,
    help: v.help ?? false,
    proxyUrl: httpUrl(
      v.proxy !== undefined ? '--proxy' : 'KSN_PROXY_URL',
      v.proxy ?? env['KSN_PROXY_URL'] ?? DEFAULT_PROXY_URL,
    ),
    tokenFile: v['token-file'] ?? env['KSN_TOKEN_FILE'] ?? join(configHome, 'ksn', 'token.json'),
    timeoutMs: positiveInt('--timeout', v.timeout ?? env['KSN_TIMEOUT_MS'], 600_000) ?? DEFAULT_TIMEOUT_MS,
    securityCenterUrl: httpUrl(
      v['security-center'] !== undefined ? '--security-center' : 'KSN_SECURITY_CENTER_URL',
      v['security-center'] ?? env['KSN_SECURITY_CENTER_URL'] ?? DEFAULT_SECURITY_CENTER_URL,
    ),
    enrolmentToken: v['enrolment-token'] ?? env['KSN_ENROLMENT_TOKEN'],
    deviceName: v.name,
    module: v.module,
    batchSize: positiveInt('--batch-size', v['batch-size'], 1000),
    adminUrl:
      v['admin-url'] !== undefined || env['KSN_PROXY_ADMIN_URL'] !== undefined
        ? httpUrl('--admin-url', v['admin-url'] ?? env['KSN_PROXY_ADMIN_URL'] ?? '')
        : undefined,
  };
}

export const USAGE = `ksn — the endpoint's command line for KSN Enterprise

Usage:
  ksn enroll [--security-center URL] [--enrolment-token TOKEN] [--name DEVICE-NAME]
  ksn lookup [--module MODULE] [--batch-size N] <file|directory|hash|url>...
  ksn policy
  ksn doctor [--admin-url URL]

Options (every command):
  --proxy URL         ksn-proxy endpoint API (env KSN_PROXY_URL, default ${DEFAULT_PROXY_URL})
  --token-file PATH   device token (env KSN_TOKEN_FILE, default ~/.config/ksn/token.json, mode 0600)
  --timeout MS        per-request time-out (env KSN_TIMEOUT_MS, default ${DEFAULT_TIMEOUT_MS})
  --json              machine-readable output on stdout
  -h, --help          this text

enroll: --security-center (env KSN_SECURITY_CENTER_URL, default ${DEFAULT_SECURITY_CENTER_URL}),
        --enrolment-token (env KSN_ENROLMENT_TOKEN), --name (default: this host's name).
lookup: files are hashed here (SHA-256) and only the hash is sent; directories are walked;
        --module defaults to file-threat-protection for files and hashes and
        web-threat-protection for URLs.
doctor: --admin-url is the proxy's admin listener (env KSN_PROXY_ADMIN_URL) for the snapshot age.

Exit codes: 0 allowed (or command succeeded), 1 at least one object blocked, 2 error.
`;
