/** What the HTTP application needs, as given (AppDeps) and with defaults filled in (ResolvedDeps). */
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.js';
import type { HeartbeatIngest, Realtime } from '../ingest/realtime-port.js';
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
  /** the heartbeat collector, present when this process runs the ingest; it is also the realtime source */
  ingest?: HeartbeatIngest;
  /** "now" viewer counts; defaults to the ingest */
  realtime?: Realtime;
}

export type ResolvedDeps = Required<Omit<AppDeps, 'logger' | 'realtime' | 'ingest'>> & Pick<AppDeps, 'realtime' | 'ingest'>;

export function resolveDeps(deps: AppDeps): ResolvedDeps {
  return {
    config: deps.config,
    store: deps.store,
    limiter: deps.limiter ?? new MemoryRateLimiter(),
    nonces: deps.nonces ?? new MemoryNonceCache(),
    now: deps.now ?? Date.now,
    ingest: deps.ingest,
    realtime: deps.realtime ?? deps.ingest,
  };
}
