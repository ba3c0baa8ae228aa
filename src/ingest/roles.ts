/**
 * What a process runs of the heartbeat ingest, from LIVE_CCV_ROLES and LIVE_CCV_NATS_URL:
 * - no NATS URL, every role: the embedded ingest (local segment log, one process counts everything);
 * - no NATS URL, api only: nothing (an API server reading the shared store; realtime answers 503);
 * - a NATS URL: a cluster collector and/or aggregator on the JetStream log, and on api processes the
 *   realtime counts the aggregators publish.
 */
import type { Logger } from 'pino';
import { hasRole, type Config } from '../config/config.js';
import type { IngestHealth } from '../http/deps.js';
import type { Store } from '../store/port.js';
import type { ClusterAggregator } from './cluster/aggregator.js';
import type { ClusterCollector } from './cluster/collector.js';
import type { JetStreamHeartbeatLog } from './cluster/jetstream-log.js';
import type { ClusterConnection } from './cluster/nats.js';
import type { ClusterRealtime } from './cluster/realtime-board.js';
import { IngestService } from './ingest-service.js';
import type { HeartbeatCollector, Realtime } from './realtime-port.js';

export interface IngestRoles {
  /** which ingest runs here: the embedded one, the cluster's parts, or none (an API-only server without NATS) */
  mode: 'embedded' | 'cluster' | 'none';
  collector?: HeartbeatCollector;
  realtime?: Realtime;
  aggregator?: ClusterAggregator;
  health(): IngestHealth;
  /** Stops in order: collector (after HTTP closed), aggregator, readers, connection. */
  stop(): Promise<void>;
}

/** Where the ingest's parts log what happens outside requests (a pino logger per component). */
type ComponentLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface IngestRolesOptions {
  /** the process's clock (clockOf(config)): collectors check lateness and aggregators publish marks by it */
  now?: () => number;
  logger?: (component: string) => ComponentLogger;
}

export async function openIngestRoles(config: Config, store: Store, options: IngestRolesOptions = {}): Promise<IngestRoles> {
  const now = options.now ?? Date.now;
  const log = (component: string) => {
    const l = options.logger?.(component);
    return {
      logger: l,
      onError: l ? (err: unknown, what: string) => l.error({ err }, what) : undefined,
    };
  };
  if (!config.natsUrl) {
    if (!hasRole(config, 'collector')) return { mode: 'none', health: () => ({ detail: { log: 'none' } }), stop: async () => {} };
    const closer = log('minute-closer');
    const service = await IngestService.open(config, store, { now, logger: closer.logger, onError: closer.onError });
    return {
      mode: 'embedded',
      collector: service,
      realtime: service,
      // readiness of its log and flushes comes from the service itself (HeartbeatCollector.health)
      health: () => ({ detail: { log: 'local', flushedBeforeMinute: service.flushedBefore() } }),
      stop: () => service.stop(),
    };
  }

  const cluster = await clusterModules();
  const conn = await cluster.connectCluster(config, config.roles.join(','));
  const opened: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of opened.reverse()) await part.stop();
    await conn.close();
  };
  try {
    let heartbeats: JetStreamHeartbeatLog | undefined;
    if (hasRole(config, 'collector') || hasRole(config, 'aggregator')) {
      const jsLog = await cluster.JetStreamHeartbeatLog.open(conn, {
        partitions: config.partitions,
        replicas: config.natsReplicas,
        publishTimeoutMs: config.publishTimeoutMs,
        lingerMs: config.collectorLingerMs,
      });
      heartbeats = jsLog;
      opened.push({ stop: () => jsLog.close() });
    }
    let aggregator: ClusterAggregator | undefined;
    if (heartbeats && hasRole(config, 'aggregator')) {
      const agg = log('aggregator');
      const a = await cluster.ClusterAggregator.start(config, store, heartbeats, conn, {
        now,
        onError: agg.onError,
        onEvent: agg.logger ? (line) => agg.logger?.info(line) : undefined,
      });
      aggregator = a;
      opened.push({ stop: () => a.stop() });
    }
    let realtime: ClusterRealtime | undefined;
    if (hasRole(config, 'api')) {
      const r = await cluster.ClusterRealtime.open(conn, config, now);
      realtime = r;
      opened.push({ stop: () => r.close() });
    }
    let collector: ClusterCollector | undefined;
    if (heartbeats && hasRole(config, 'collector')) {
      const c = await cluster.ClusterCollector.open(config, store, heartbeats, { now, onError: log('collector').onError });
      collector = c;
      opened.push({ stop: () => c.stop() });
    }
    return {
      mode: 'cluster',
      collector,
      realtime,
      aggregator,
      health: () => clusterHealth(conn, config, aggregator),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }
}

/**
 * The cluster's modules, loaded only when LIVE_CCV_NATS_URL is set: the embedded default (every process the
 * suite and a single box start) never loads the NATS client.
 */
async function clusterModules() {
  const [aggregator, collector, log, nats, board] = await Promise.all([
    import('./cluster/aggregator.js'),
    import('./cluster/collector.js'),
    import('./cluster/jetstream-log.js'),
    import('./cluster/nats.js'),
    import('./cluster/realtime-board.js'),
  ]);
  return { ...aggregator, ...collector, ...log, ...nats, ...board };
}

function clusterHealth(conn: ClusterConnection, config: Config, aggregator: ClusterAggregator | undefined): IngestHealth {
  const state = conn.state();
  const detail: Record<string, unknown> = {
    log: 'jetstream',
    nats: state,
    prefix: config.natsPrefix,
    partitions: config.partitions,
  };
  if (aggregator) detail.aggregator = aggregator.status();
  return {
    detail,
    components: { nats: state === 'connected' ? { ok: true } : { ok: false, detail: `${state} (LIVE_CCV_NATS_URL)` } },
  };
}
