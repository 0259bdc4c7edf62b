import { bool, httpUrl, int, parseEnv, port, str, type EnvOf } from '@ksn/service-kit';

/** Every environment variable security-center reads. Validated once at start-up. */
export const CONFIG_SPEC = {
  PORT: port({ description: 'HTTP port of the API and the console', default: 8080 }),
  HOST: str({ description: 'Address to listen on', default: '0.0.0.0' }),
  DATABASE_URL: str({
    description:
      '`sqlite:<path>` (embedded) or `mysql://user:pass@host:3306/db` (production; `mariadb://…` for MariaDB)',
    default: 'sqlite:data/security-center.sqlite',
    secret: true,
    pattern: /^(sqlite:.+|(mysql|mariadb):\/\/.+)$/,
    hint: 'sqlite:<path>, mysql://user:pass@host:port/db or mariadb://…',
  }),
  DATABASE_POOL_SIZE: int({ description: 'MySQL connection pool size', default: 10, min: 1, max: 200 }),
  ADMIN_PASSWORD: str({
    description:
      'Password of the bootstrap `admin` user, used only when the database has no user yet (else a random one is generated and printed once)',
    default: '',
    secret: true,
  }),
  BOOTSTRAP_PROXY_API_KEY: str({
    description:
      'If set, a proxy named `local` with this API key is registered at start-up (used by `npm start`)',
    default: '',
    secret: true,
    pattern: /^kp_[A-Za-z0-9_-]{20,200}$/,
    hint: 'a key of the form kp_<at least 20 url-safe characters>',
  }),
  BOOTSTRAP_ENROLMENT_TOKEN: str({
    description:
      'If set, an enrolment token with this value for the default group is registered at start-up (used by `npm start`)',
    default: '',
    secret: true,
    pattern: /^ke_[A-Za-z0-9_-]{20,200}$/,
    hint: 'a token of the form ke_<at least 20 url-safe characters>',
  }),
  DEVICE_TOKEN_TTL_SECONDS: int({
    description: 'Lifetime of device tokens',
    default: 86400,
    min: 60,
    max: 30 * 86400,
  }),
  LOGIN_FAILURES_PER_CLIENT: int({
    description:
      'Failed logins one client address may make in 10 minutes before it is refused (429) for the rest of them, per instance',
    default: 20,
    min: 1,
  }),
  SESSION_TTL_SECONDS: int({ description: 'Idle lifetime of a console session', default: 8 * 3600, min: 60 }),
  COOKIE_SECURE: bool({
    description: 'Mark the session cookie Secure (set when served over HTTPS)',
    default: false,
  }),
  CONSOLE_DIR: str({
    description: 'Directory of the built console (empty: apps/console/dist/browser)',
    default: '',
  }),
  KSN_UPSTREAM_URL: httpUrl({
    description: 'Upstream cloud for category sync and reputation details (the cloud emulator by default)',
    default: 'http://127.0.0.1:13180',
  }),
  KSN_UPSTREAM_API_KEY: str({
    description: 'Bearer key for the upstream, if it requires one',
    default: '',
    secret: true,
  }),
  UPSTREAM_TIMEOUT_MS: int({
    description: 'Timeout of one request to the upstream, ms',
    default: 5000,
    min: 100,
    max: 120_000,
  }),
  CATEGORY_SYNC_INTERVAL_SECONDS: int({
    description:
      'How often the category tree is re-synced from the upstream (0: only at start and on demand)',
    default: 21600,
    min: 0,
  }),
  JOBS_INTERVAL_SECONDS: int({
    description:
      'How often background jobs (roll-ups, retention, expiry) run; one instance at a time through a lease',
    default: 60,
    min: 1,
    max: 3600,
  }),
  TRAFFIC_RETENTION_DAYS: int({
    description: 'Per-minute traffic aggregates are kept this long, then rolled up to hours',
    default: 30,
    min: 1,
    max: 3650,
  }),
  TOKEN_REFRESH_GRACE_SECONDS: int({
    description: 'How long after expiry a device token may still be refreshed',
    default: 7 * 86400,
    min: 0,
    max: 90 * 86400,
  }),
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

export const CONFIG = Symbol('CONFIG');
