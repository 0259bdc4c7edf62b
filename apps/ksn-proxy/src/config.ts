import { httpUrl, int, parseEnv, port, str, type EnvOf } from '@ksn/service-kit';

/** Every environment variable ksn-proxy reads. Validated once at start-up. */
export const CONFIG_SPEC = {
  PORT: port({ description: 'Endpoint API port', default: 13111 }),
  HOST: str({ description: 'Endpoint API address', default: '0.0.0.0' }),
  ADMIN_PORT: port({ description: 'Admin port: /metrics, /healthz, /readyz', default: 13112 }),
  ADMIN_HOST: str({ description: 'Admin address (loopback unless you scrape from elsewhere)', default: '127.0.0.1' }),
  KSN_UPSTREAM_URL: httpUrl({ description: 'Upstream cloud (the cloud emulator by default; another ksn-proxy for tiering)', default: 'http://127.0.0.1:13180' }),
  UPSTREAM_API_KEY: str({ description: 'Bearer key sent to the upstream, if it wants one', default: '', secret: true }),
  UPSTREAM_TIMEOUT_MS: int({ description: 'Upstream request timeout', default: 5000, min: 100, max: 120000 }),
  UPSTREAM_CONNECTIONS: int({ description: 'Keep-alive connections to the upstream', default: 16, min: 1, max: 1024 }),
  BATCH_MAX_KEYS: int({ description: 'Most keys in one upstream lookup', default: 500, min: 1, max: 1000 }),
  BATCH_WINDOW_MS: int({ description: 'How long a miss waits for others to share its upstream batch', default: 2, min: 0, max: 1000 }),
  SECURITY_CENTER_URL: httpUrl({ description: 'Security Center the snapshot and heartbeats go to', default: 'http://127.0.0.1:8080' }),
  PROXY_API_KEY: str({ description: 'This proxy\'s API key, created in the console', secret: true, pattern: /^kp_[A-Za-z0-9_-]{20,200}$/, hint: 'a key of the form kp_…' }),
  DATA_DIR: str({ description: 'Where the last good snapshot is kept', default: 'data/ksn-proxy' }),
  CACHE_MAX_ENTRIES: int({ description: 'Verdict cache size in entries', default: 1_000_000, min: 1 }),
  CACHE_MAX_BYTES: int({ description: 'Verdict cache size bound in (estimated) bytes', default: 256 * 1024 * 1024, min: 1024 }),
  TTL_CLEAN_SECONDS: int({ description: 'Cache lifetime of clean verdicts', default: 86400, min: 0 }),
  TTL_MALICIOUS_SECONDS: int({ description: 'Cache lifetime of malicious verdicts', default: 86400, min: 0 }),
  TTL_SUSPICIOUS_SECONDS: int({ description: 'Cache lifetime of suspicious verdicts', default: 3600, min: 0 }),
  TTL_ADWARE_SECONDS: int({ description: 'Cache lifetime of adware verdicts', default: 3600, min: 0 }),
  TTL_UNKNOWN_SECONDS: int({ description: 'Cache lifetime of unknown verdicts', default: 300, min: 0 }),
  STALE_WINDOW_SECONDS: int({ description: 'How long past expiry a verdict may be served while the upstream fails', default: 3600, min: 0 }),
  MAX_BODY_BYTES: int({ description: 'Largest accepted request body', default: 1024 * 1024, min: 1024 }),
  HEARTBEAT_INTERVAL_MS: int({ description: 'Heartbeat period', default: 10000, min: 100 }),
  LOG_LEVEL: str({ description: 'debug, info, warn or error', default: 'info', pattern: /^(debug|info|warn|error)$/ }),
};

export type Config = EnvOf<typeof CONFIG_SPEC>;

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  return parseEnv(CONFIG_SPEC, env);
}
