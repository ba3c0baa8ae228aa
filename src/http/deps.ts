/** What the HTTP application needs, as given (AppDeps) and with defaults filled in (ResolvedDeps). */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.js';
import type { ComponentHealth } from '../health/readiness.js';
import { isRealtime, type HeartbeatCollector, type Realtime } from '../ingest/realtime-port.js';
import { MemoryNonceCache, MemoryRateLimiter } from '../limits/memory.js';
import type { NonceCache, RateLimiter } from '../limits/port.js';
import type { Store } from '../store/port.js';

export interface AppDeps {
  config: Config;
  store: Store;
  limiter?: RateLimiter;
  nonces?: NonceCache;
  now?: () => number;
  /** pino options or an existing logger; tests pass false */
  logger?: FastifyServerOptions['logger'];
  /** the heartbeat collector, present when this process runs the collector role */
  ingest?: HeartbeatCollector;
  /** "now" viewer counts; defaults to the ingest when it counts too (the embedded mode) */
  realtime?: Realtime;
  /** the ingest's part of /healthz (details) and /readyz (components) */
  health?: () => IngestHealth;
}

export interface IngestHealth {
  /** in-memory facts for /healthz (asks no dependency) */
  detail: Record<string, unknown>;
  /** components for /readyz beyond what the collector reports itself (a cluster process's NATS connection) */
  components?: Record<string, ComponentHealth>;
}

export type ResolvedDeps = Required<Omit<AppDeps, 'logger' | 'realtime' | 'ingest' | 'health'>> &
  Pick<AppDeps, 'realtime' | 'ingest' | 'health'>;

export function resolveDeps(deps: AppDeps): ResolvedDeps {
  return {
    config: deps.config,
    store: deps.store,
    limiter: deps.limiter ?? new MemoryRateLimiter(),
    nonces: deps.nonces ?? new MemoryNonceCache(),
    now: deps.now ?? Date.now,
    ingest: deps.ingest,
    realtime: deps.realtime ?? (isRealtime(deps.ingest) ? deps.ingest : undefined),
    health: deps.health,
  };
}
