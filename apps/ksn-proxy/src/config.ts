import { httpUrl, int, oneOf, parseEnv, port, str, type EnvOf, type EnvVar } from '@ksn/service-kit';
import { ADMISSION_POLICIES } from './admission';
import { DEFAULT_SNAPSHOT_MAX_BYTES } from './policy-store';

/** An http(s) URL, or `off` / empty for none (private mode: nothing leaves the network). */
function upstreamUrl(o: { description: string; default: string }): EnvVar<string> {
  const url = httpUrl(o);
  return { ...url, parse: (raw) => (raw === 'off' ? '' : url.parse(raw)) };
}

/** A group id as security-center issues them (see the console API's group ids). */
const GROUP_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Comma-separated group ids (spaces around commas allowed), normalised to `a,b,c`; empty for none. */
function groupIds(o: { description: string; default: string }): EnvVar<string> {
  return {
    description: o.description,
    default: o.default,
    parse(raw) {
      const ids = raw
        .split(',')
        .map((id) => id.trim())
        .filter((id) => id !== '');
      const bad = ids.find((id) => !GROUP_ID.test(id));
      if (bad !== undefined)
        throw new Error(
          `must be comma-separated group ids (letters, digits, _ . : -), not ${JSON.stringify(bad)}`,
        );
      return ids.join(',');
    },
  };
}

/** Every environment variable ksn-proxy reads. Validated once at start-up. */
export const CONFIG_SPEC = {
  PORT: port({ description: 'Endpoint API port', default: 13111 }),
  HOST: str({ description: 'Endpoint API address', default: '0.0.0.0' }),
  ADMIN_PORT: port({ description: 'Admin port: /metrics, /healthz, /readyz', default: 13112 }),
  ADMIN_HOST: str({
    description: 'Admin address (loopback unless you scrape from elsewhere)',
    default: '127.0.0.1',
  }),
  KSN_UPSTREAM_URL: upstreamUrl({
    description:
      'Upstream cloud (the cloud emulator by default; another ksn-proxy for tiering); `off` for private mode (overrides and cache only, nothing leaves the network)',
    default: 'http://127.0.0.1:13180',
  }),
  UPSTREAM_API_KEY: str({
    description:
      'Bearer credential sent to the upstream, if it wants one (for an upstream ksn-proxy, tiering: a device token security-center issued for this proxy, renewed through that proxy before it expires and kept in DATA_DIR)',
    default: '',
    secret: true,
  }),
  TIER_CLIENT_GROUPS: groupIds({
    description:
      'Tiering, on a central proxy: comma-separated security-center group ids whose devices (the branch proxies, enrolled into a group of their own) may use the upstream protocol here (`{keys}` lookups, the relayed `GET /v1/changes`); empty: nobody, every other device gets 403 forbidden',
    default: '',
  }),
  UPSTREAM_RETRIES: int({
    description:
      'Retries of a failed upstream lookup batch (connection errors, 502/503/504), with exponential backoff',
    default: 1,
    min: 0,
    max: 5,
  }),
  UPSTREAM_RETRY_BACKOFF_MS: int({
    description: 'First retry delay; doubles on each further retry',
    default: 100,
    min: 1,
    max: 10000,
  }),
  UPSTREAM_MAX_PENDING_KEYS: int({
    description:
      'Most distinct keys waiting on the upstream at once; beyond it lookups get a fast 503 overloaded',
    default: 20000,
    min: 1,
  }),
  BREAKER_FAILURES: int({
    description: 'Consecutive upstream failures that open the circuit breaker',
    default: 5,
    min: 1,
    max: 1000,
  }),
  BREAKER_RESET_MS: int({
    description: 'How long the breaker stays open before a half-open probe',
    default: 5000,
    min: 10,
    max: 600000,
  }),
  UPSTREAM_QUOTA_PER_SECOND: int({
    description: 'Upstream requests per second allowed (token bucket); 0 = unlimited',
    default: 0,
    min: 0,
  }),
  UPSTREAM_QUOTA_BURST: int({
    description: 'Token bucket size (0: one second of UPSTREAM_QUOTA_PER_SECOND)',
    default: 0,
    min: 0,
  }),
  CHANGE_FEED_WAIT_SECONDS: int({
    description: 'Long-poll wait on the upstream verdict-change feed; 0 turns the feed off',
    default: 30,
    min: 0,
    max: 60,
  }),
  UPSTREAM_TIMEOUT_MS: int({ description: 'Upstream request timeout', default: 5000, min: 100, max: 120000 }),
  UPSTREAM_CONNECTIONS: int({
    description: 'Keep-alive connections to the upstream, and so the most lookup batches in flight at once',
    default: 16,
    min: 1,
    max: 1024,
  }),
  BATCH_MAX_KEYS: int({
    description:
      'Most keys in one upstream lookup (misses that queued while every upstream connection was busy leave together, up to this many)',
    default: 500,
    min: 1,
    max: 1000,
  }),
  BATCH_FLUSH_KEYS: int({
    description:
      'A batch leaves as soon as this many misses wait (and a connection is free), without waiting for the window: smaller batches keep the upstream busy while earlier answers are sent',
    default: 64,
    min: 1,
    max: 1000,
  }),
  BATCH_WINDOW_MS: int({
    description: 'How long a miss waits for others to share its upstream batch',
    default: 2,
    min: 0,
    max: 1000,
  }),
  SECURITY_CENTER_URL: httpUrl({
    description: 'Security Center the snapshot and heartbeats go to',
    default: 'http://127.0.0.1:8080',
  }),
  SNAPSHOT_MAX_BYTES: int({
    description:
      'Largest policy snapshot read from Security Center (2,000 groups and 100,000 devices are about 3 MB); a larger one is refused and the last good snapshot stays in force',
    default: DEFAULT_SNAPSHOT_MAX_BYTES,
    min: 64 * 1024,
  }),
  PROXY_API_KEY: str({
    description: "This proxy's API key, created in the console",
    secret: true,
    pattern: /^kp_[A-Za-z0-9_-]{20,200}$/,
    hint: 'a key of the form kp_…',
  }),
  DATA_DIR: str({
    description: 'Where the last good snapshot, the telemetry spool and the traffic log are kept',
    default: 'data/ksn-proxy',
  }),
  CACHE_MAX_ENTRIES: int({ description: 'Verdict cache size in entries', default: 1_000_000, min: 1 }),
  CACHE_ADMISSION: oneOf(ADMISSION_POLICIES, {
    description:
      'Verdict cache admission: tinylfu (a new verdict is cached only if asked for more often than the one it would evict) or lru (always cached)',
    default: 'tinylfu',
  }),
  CACHE_MAX_BYTES: int({
    description: 'Verdict cache size bound in (estimated) bytes',
    default: 256 * 1024 * 1024,
    min: 1024,
  }),
  TTL_CLEAN_SECONDS: int({ description: 'Cache lifetime of clean verdicts', default: 86400, min: 0 }),
  TTL_MALICIOUS_SECONDS: int({ description: 'Cache lifetime of malicious verdicts', default: 86400, min: 0 }),
  TTL_SUSPICIOUS_SECONDS: int({
    description: 'Cache lifetime of suspicious verdicts',
    default: 3600,
    min: 0,
  }),
  TTL_ADWARE_SECONDS: int({ description: 'Cache lifetime of adware verdicts', default: 3600, min: 0 }),
  TTL_UNKNOWN_SECONDS: int({ description: 'Cache lifetime of unknown verdicts', default: 300, min: 0 }),
  STALE_WINDOW_SECONDS: int({
    description: 'How long past expiry a verdict may be served while the upstream fails',
    default: 3600,
    min: 0,
  }),
  MAX_BODY_BYTES: int({ description: 'Largest accepted request body', default: 1024 * 1024, min: 1024 }),
  FAST_LANE: oneOf(['on', 'off'] as const, {
    description:
      'Plain-HTTP endpoint: answer simple lookup requests straight off the socket (`on`), handing every other request to node:http, or leave every request to node:http (`off`); with TLS every request goes through node:http',
    default: 'on',
  }),
  HEADERS_TIMEOUT_MS: int({
    description: 'Time a client has to send the request headers',
    default: 10000,
    min: 100,
  }),
  REQUEST_TIMEOUT_MS: int({
    description: 'Time a client has to send the whole request',
    default: 30000,
    min: 100,
  }),
  TLS_CERT_FILE: str({
    description:
      'PEM certificate (chain) of the endpoint listener; with TLS_KEY_FILE the endpoint API is HTTPS',
    default: '',
  }),
  TLS_KEY_FILE: str({ description: 'PEM private key of the endpoint listener', default: '' }),
  TLS_CLIENT_CA_FILE: str({
    description: 'PEM CA bundle; when set, endpoints must present a client certificate it signed',
    default: '',
  }),
  SPOOL_MAX_BYTES: int({
    description:
      'Bound of the telemetry spool on disk (DATA_DIR/spool); oldest records are dropped when full',
    default: 64 * 1024 * 1024,
    min: 1024,
  }),
  SPOOL_RETRY_MS: int({
    description: 'How often spooled telemetry delivery is retried while the upstream is down',
    default: 2000,
    min: 10,
  }),
  TRAFFIC_LOG_MAX_BYTES: int({
    description: 'Size at which DATA_DIR/traffic.log is rotated',
    default: 10 * 1024 * 1024,
    min: 1024,
  }),
  TRAFFIC_LOG_FILES: int({
    description: 'Rotated traffic logs kept (traffic.log.1 …)',
    default: 3,
    min: 1,
    max: 100,
  }),
  HEARTBEAT_INTERVAL_MS: int({ description: 'Heartbeat period', default: 10000, min: 100 }),
  LOG_LEVEL: str({
    description: 'debug, info, warn or error',
    default: 'info',
    pattern: /^(debug|info|warn|error)$/,
  }),
};

export type Config = EnvOf<typeof CONFIG_SPEC>;

export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): Config {
  return parseEnv(CONFIG_SPEC, env);
}
