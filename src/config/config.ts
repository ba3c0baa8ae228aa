import os from 'node:os';
import path from 'node:path';
import { splitList } from '@live-ccv/client/contract';
import { z } from 'zod';
import { keyRingProblem } from '../secrets/key-ring.js';

/**
 * Every setting, its environment variable, its default and its validation live here, so that the
 * README's configuration table, `live-ccv serve --help` and the startup check cannot disagree.
 */
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'expected an integer' })
    .int('expected an integer')
    .min(min, `expected an integer of at least ${min}`)
    .max(max, `expected an integer of at most ${max}`);
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Asia/Shanghai');
export const ROLES = ['api', 'collector', 'aggregator'] as const;
export type Role = (typeof ROLES)[number];
/** A comma list, trimmed, blanks and repeats dropped. */
const commaList = z.string().transform(splitList);
const roles = commaList.refine(
  (list): list is Role[] => list.length > 0 && list.every((r) => (ROLES as readonly string[]).includes(r)),
  {
    message: 'expected a comma list of api, collector, aggregator',
  },
);
const pullTypes = commaList.refine((list) => list.length > 0 && list.every((p) => /^[a-z0-9_-]{1,16}$/.test(p)), {
  message: 'expected a comma list of lower-case names such as cdn,rtc,p2p',
});

export const settings = {
  host: { env: 'LIVE_CCV_HOST', def: '0.0.0.0', schema: z.string().min(1), doc: 'address to listen on' },
  port: { env: 'LIVE_CCV_PORT', def: '8080', schema: int(0, 65535), doc: 'HTTP port' },
  dataDir: {
    env: 'LIVE_CCV_DATA_DIR',
    def: './data',
    schema: z.string().min(1),
    doc: 'directory of the SQLite store and the heartbeat log',
  },
  store: {
    env: 'LIVE_CCV_STORE',
    def: 'sqlite',
    schema: z.enum(['sqlite', 'postgres']),
    doc: 'store adapter: sqlite (embedded) or postgres',
  },
  databaseUrl: { env: 'LIVE_CCV_DATABASE_URL', def: '', schema: z.string(), doc: 'PostgreSQL URL when store=postgres' },
  databaseSchema: {
    env: 'LIVE_CCV_DATABASE_SCHEMA',
    def: 'public',
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case identifier such as live_ccv'),
    doc: 'PostgreSQL schema of the tables (created when missing), so deployments can share a database',
  },
  redisUrl: {
    env: 'LIVE_CCV_REDIS_URL',
    def: '',
    schema: z
      .string()
      .refine((u) => u === '' || /^rediss?:\/\//.test(u), 'expected a redis:// or rediss:// URL, or empty for in-process limits'),
    doc: 'Redis URL of the rate limiter and nonce cache shared by several API servers; empty keeps them in-process',
  },
  redisPrefix: {
    env: 'LIVE_CCV_REDIS_PREFIX',
    def: 'live-ccv:',
    schema: z.string().min(1),
    doc: 'prefix of every Redis key, so deployments sharing a Redis keep apart',
  },
  curveCacheMb: {
    env: 'LIVE_CCV_CURVE_CACHE_MB',
    def: '256',
    schema: int(0),
    doc: 'memory for decoded curves of the SQLite store, shared evenly by the main thread and the query threads (0 disables the caches)',
  },
  queryThreads: {
    env: 'LIVE_CCV_QUERY_THREADS',
    def: 'auto',
    schema: z
      .string()
      .refine((v) => v === 'auto' || /^\d+$/.test(v), 'expected auto or a number of threads (0 computes on the main thread)')
      .transform((v) => (v === 'auto' ? Math.min(4, Math.max(1, os.availableParallelism() - 1)) : Number(v)))
      .refine((n) => n <= 64, 'expected at most 64 threads'),
    doc: 'threads computing summaries off the event loop with the SQLite store, each with its own read-only connection and a share of the curve cache; auto is one per core but one, at most 4; 0 computes on the main thread',
  },
  queryNice: {
    env: 'LIVE_CCV_QUERY_NICE',
    def: '10',
    schema: int(0, 19),
    doc: 'scheduling niceness of the query threads (Linux, per thread): when cores are short, the event loop acknowledging heartbeats runs first and summaries take what is left; 0 runs them at the same priority',
  },
  timeZone: { env: 'LIVE_CCV_TIME_ZONE', def: 'Asia/Shanghai', schema: timeZone, doc: 'time zone of days and minute labels' },
  pullTypes: { env: 'LIVE_CCV_PULL_TYPES', def: 'cdn,rtc,p2p', schema: pullTypes, doc: 'accepted pull types' },
  adminToken: {
    env: 'LIVE_CCV_ADMIN_TOKEN',
    def: '',
    schema: z.string(),
    doc: 'bearer token of the admin API; empty refuses the admin API entirely',
  },
  ingestToken: {
    env: 'LIVE_CCV_INGEST_TOKEN',
    def: '',
    schema: z.string(),
    doc: 'global bearer token of POST /v1/heartbeats (apps may also have their own)',
  },
  secretKey: {
    env: 'LIVE_CCV_SECRET_KEY',
    def: '',
    schema: z.string().superRefine((v, ctx) => {
      const problem = keyRingProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    doc: 'key(s) sealing appSecrets at rest (AES-256-GCM): 32 bytes as 64 hex characters or base64, comma-separated, the first seals, all open; empty stores them in plaintext (docs/operations.md)',
    secret: true,
  },
  timestampWindowMs: {
    env: 'LIVE_CCV_TIMESTAMP_WINDOW_MS',
    def: '180000',
    schema: int(1000),
    doc: 'how far a signed timestamp may be from server time, either way',
  },
  always200: {
    env: 'LIVE_CCV_ALWAYS_200',
    def: 'false',
    schema: bool,
    doc: 'answer every envelope with HTTP 200 (code stays in the body)',
  },
  trustProxy: {
    env: 'LIVE_CCV_TRUST_PROXY',
    def: '',
    schema: z.string(),
    doc: 'trusted proxies for X-Forwarded-For: empty (none), true, a hop count, or comma-separated addresses/CIDRs',
  },
  ipLimit: { env: 'LIVE_CCV_IP_LIMIT', def: '1500', schema: int(1), doc: 'API requests per client IP per window' },
  appLimit: {
    env: 'LIVE_CCV_APP_LIMIT',
    def: '3000',
    schema: int(1),
    doc: 'default API requests per app per window (apps may override)',
  },
  rateWindowMs: { env: 'LIVE_CCV_RATE_WINDOW_MS', def: '10000', schema: int(100), doc: 'rate-limit window' },
  rateBlockMs: {
    env: 'LIVE_CCV_RATE_BLOCK_MS',
    def: '300000',
    schema: int(0),
    doc: 'how long an IP over its limit stays blocked',
  },
  maxUsers: { env: 'LIVE_CCV_MAX_USERS', def: '1000', schema: int(1), doc: 'user ids per summary call' },
  maxDays: { env: 'LIVE_CCV_MAX_DAYS', def: '92', schema: int(1), doc: 'days per summary call' },
  bodyLimit: {
    env: 'LIVE_CCV_BODY_LIMIT',
    def: '10485760',
    schema: int(1024),
    doc: 'largest request body in bytes (after gunzip for ingest)',
  },
  beaconBodyLimit: {
    env: 'LIVE_CCV_BEACON_BODY_LIMIT',
    def: '8192',
    schema: int(256, 65536),
    doc: 'largest body of one /v1/beacon heartbeat in bytes (a beacon is a few hundred; at most 64 KiB)',
  },
  ingestInflightBytes: {
    env: 'LIVE_CCV_INGEST_INFLIGHT_BYTES',
    def: '33554432',
    schema: int(65536),
    doc: 'heartbeat batch bytes (after gunzip) held at once; batches beyond it get 503 with Retry-After (one batch is always admitted)',
  },
  requestTimeoutMs: {
    env: 'LIVE_CCV_REQUEST_TIMEOUT_MS',
    def: '30000',
    schema: int(1000),
    doc: 'time a client has to send a whole request, headers and body; a slower one gets 408 and is disconnected',
  },
  headersTimeoutMs: {
    env: 'LIVE_CCV_HEADERS_TIMEOUT_MS',
    def: '10000',
    schema: int(1000),
    doc: 'time a client has to send the request headers (at most the request timeout)',
  },
  roles: {
    env: 'LIVE_CCV_ROLES',
    def: 'api,collector,aggregator',
    schema: roles,
    doc: 'what this process runs, a comma list: api (signed v3 API, admin API, OpenAPI), collector (/v1/beacon, /v1/heartbeats), aggregator (counts heartbeats, writes closed minutes)',
  },
  ingest: {
    env: 'LIVE_CCV_INGEST',
    def: 'true',
    schema: bool,
    doc: 'deprecated alias: false means LIVE_CCV_ROLES=api (an API-only server)',
  },
  natsUrl: {
    env: 'LIVE_CCV_NATS_URL',
    def: '',
    schema: z
      .string()
      .refine(
        (u) => u === '' || /^(nats|tls):\/\/[^\s]+$/.test(u),
        'expected nats://host:port (comma list for a cluster), or empty',
      ),
    doc: 'NATS with JetStream carrying the heartbeat log from collectors to aggregators; empty keeps the embedded local log (required when roles are split across processes)',
  },
  natsPrefix: {
    env: 'LIVE_CCV_NATS_PREFIX',
    def: 'live-ccv',
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'expected 1-32 letters, digits, - or _'),
    doc: 'prefix of every JetStream stream, subject, consumer and KV bucket of this deployment',
  },
  partitions: {
    env: 'LIVE_CCV_PARTITIONS',
    def: '32',
    schema: int(1, 4096),
    doc: 'channels hash to this many log partitions, each counted by one aggregator at a time (fixed for the life of the stream)',
  },
  natsReplicas: {
    env: 'LIVE_CCV_NATS_REPLICAS',
    def: '1',
    schema: int(1, 5),
    doc: 'JetStream replicas of the heartbeat stream and KV buckets when this process creates them (3 on a real cluster)',
  },
  maxClockSkewMs: {
    env: 'LIVE_CCV_MAX_CLOCK_SKEW_MS',
    def: '5000',
    schema: int(0),
    doc: 'largest clock difference between a collector and the NATS servers; aggregators wait it out before closing a minute',
  },
  publishTimeoutMs: {
    env: 'LIVE_CCV_PUBLISH_TIMEOUT_MS',
    def: '5000',
    schema: int(100),
    doc: 'a collector acknowledges heartbeats only if JetStream stored them within this; aggregators wait it out before closing a minute',
  },
  collectorLingerMs: {
    env: 'LIVE_CCV_COLLECTOR_LINGER_MS',
    def: '0',
    schema: int(0, 1000),
    doc: 'how long a collector gathers heartbeats into one JetStream message per partition (0: one event-loop turn)',
  },
  leaseTtlMs: {
    env: 'LIVE_CCV_LEASE_TTL_MS',
    def: '6000',
    schema: int(1000),
    doc: "an aggregator's partition leases lapse this long after its last renewal (renewed every third of it): bounds failover",
  },
  realtimePublishMs: {
    env: 'LIVE_CCV_REALTIME_PUBLISH_MS',
    def: '2000',
    schema: int(100),
    doc: 'how often aggregators publish per-channel "now" counts that api processes answer realtime calls from',
  },
  allowedLatenessMs: {
    env: 'LIVE_CCV_ALLOWED_LATENESS_MS',
    def: '120000',
    schema: int(0),
    doc: 'how long after its end a minute accepts heartbeats before it closes',
  },
  logFsync: {
    env: 'LIVE_CCV_LOG_FSYNC',
    def: 'always',
    schema: z.enum(['always', 'never']),
    doc: 'heartbeat log durability: always (fsync before acknowledging, group commit) or never (survives a process crash, not a power loss)',
  },
  channelRefreshMs: {
    env: 'LIVE_CCV_CHANNEL_REFRESH_MS',
    def: '5000',
    schema: int(100),
    doc: 'how often the ingest reloads its cached channel list and ingest tokens',
  },
  logLevel: {
    env: 'LIVE_CCV_LOG_LEVEL',
    def: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    doc: 'log level',
  },
  requestLog: {
    env: 'LIVE_CCV_REQUEST_LOG',
    def: 'notable',
    schema: z.enum(['all', 'notable', 'off']),
    doc: 'which requests are logged: notable (errors, refusals, slow requests), all (two lines per request, costs throughput) or off',
  },
  slowRequestMs: {
    env: 'LIVE_CCV_SLOW_REQUEST_MS',
    def: '1000',
    schema: int(1),
    doc: 'a request taking at least this long is logged as slow (with LIVE_CCV_REQUEST_LOG=notable)',
  },
  logFormat: {
    env: 'LIVE_CCV_LOG_FORMAT',
    def: 'auto',
    schema: z.enum(['auto', 'json', 'pretty']),
    doc: 'log lines as JSON (one object per line) or pretty (colored text for people); auto: pretty on a terminal, JSON otherwise',
  },
  metricsPort: {
    env: 'LIVE_CCV_METRICS_PORT',
    def: '',
    schema: z
      .string()
      .refine((v) => v === '' || (/^\d{1,5}$/.test(v) && Number(v) <= 65535), 'expected a port number (0-65535) or empty')
      .transform((v) => (v === '' ? undefined : Number(v))),
    doc: 'serve GET /metrics (Prometheus) on this port only, instead of on the HTTP port; empty serves it on the HTTP port',
  },
  metricsHost: {
    env: 'LIVE_CCV_METRICS_HOST',
    def: '',
    schema: z.string(),
    doc: 'address of the metrics port (LIVE_CCV_METRICS_PORT); empty uses LIVE_CCV_HOST',
  },
  dashboardDir: {
    env: 'LIVE_CCV_DASHBOARD_DIR',
    def: '',
    schema: z.string(),
    doc: 'directory of the dashboard build served at /dashboard; empty serves the one `npm run build` made (dist/dashboard)',
  },
  clockOffsetMs: {
    env: 'LIVE_CCV_CLOCK_OFFSET_MS',
    def: '0',
    schema: z.coerce.number({ error: 'expected an integer' }).int('expected an integer'),
    doc: "shifts this process's clock by this many ms, for tests and replays (keep 0 in production)",
  },
  demo: { env: 'LIVE_CCV_DEMO', def: 'true', schema: bool, doc: 'create a demo application on first start with an empty store' },
} as const;

export type SettingName = keyof typeof settings;
export type Config = { [K in SettingName]: z.output<(typeof settings)[K]['schema']> };

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`invalid setting ${setting}: ${reason}`);
  }
}

/**
 * Reads settings from the environment with explicit overrides (command-line flags) winning.
 * Throws ConfigError naming the first bad setting; callers print its one line and exit.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<SettingName, string | number | boolean | undefined>> = {},
): Config {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const override = overrides[name];
    const raw = override !== undefined ? String(override) : (env[s.env] ?? s.def);
    const source = override !== undefined ? `--${kebab(name)}` : s.env;
    const parsed = (s.schema as z.ZodType).safeParse(raw);
    if (!parsed.success) {
      const got = 'secret' in s && s.secret ? 'value not shown' : `got "${raw}"`;
      throw new ConfigError(source, `${parsed.error.issues[0]?.message ?? 'invalid'} (${got})`);
    }
    out[name] = parsed.data;
  }
  const config = out as Config;
  if (config.store === 'postgres' && !config.databaseUrl) {
    throw new ConfigError(settings.databaseUrl.env, 'required when LIVE_CCV_STORE=postgres');
  }
  if (config.trustProxy) parseTrustProxy(config.trustProxy);
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError(
      settings.headersTimeoutMs.env,
      `must not exceed ${settings.requestTimeoutMs.env} (${config.requestTimeoutMs}), got ${config.headersTimeoutMs}`,
    );
  }
  checkRoles(config, env[settings.roles.env] !== undefined || overrides.roles !== undefined);
  return config;
}

/**
 * The deprecated LIVE_CCV_INGEST=false becomes LIVE_CCV_ROLES=api. Roles split across processes need the
 * shared JetStream log; an API-only server without it reads the shared store and has no realtime counts.
 */
function checkRoles(config: Config, rolesGiven: boolean): void {
  if (!config.ingest) {
    if (rolesGiven && config.roles.some((r) => r !== 'api')) {
      throw new ConfigError(
        settings.ingest.env,
        `false contradicts LIVE_CCV_ROLES=${config.roles.join(',')} (set only LIVE_CCV_ROLES)`,
      );
    }
    config.roles = ['api'];
  }
  const all = ROLES.every((r) => config.roles.includes(r));
  if (!config.natsUrl && !all && config.roles.some((r) => r !== 'api')) {
    throw new ConfigError(
      settings.natsUrl.env,
      `required when LIVE_CCV_ROLES=${config.roles.join(',')}: collectors and aggregators in separate processes share the JetStream log`,
    );
  }
}

export function hasRole(config: Pick<Config, 'roles'>, role: Role): boolean {
  return config.roles.includes(role);
}

/** The process's clock: the wall clock, shifted by LIVE_CCV_CLOCK_OFFSET_MS when a test asks for it. */
export function clockOf(config: Pick<Config, 'clockOffsetMs'>): () => number {
  const offset = config.clockOffsetMs;
  return offset === 0 ? Date.now : () => Date.now() + offset;
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Fastify's trustProxy accepts boolean, hop count or address list; an empty setting trusts nobody. */
export function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.some((a) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a))) {
    throw new ConfigError(settings.trustProxy.env, `expected true, a hop count or addresses/CIDRs (got "${value}")`);
  }
  return list;
}

export function sqlitePath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'live-ccv.sqlite');
}
