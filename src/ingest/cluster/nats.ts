/**
 * The NATS side of a cluster deployment: one connection per process, and the names of everything this
 * deployment keeps in JetStream, all derived from LIVE_CCV_NATS_PREFIX so that several deployments (and every
 * test) share one NATS without touching each other.
 */
import os from 'node:os';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import type { Config } from '../../config/config.js';
import { fenceKeyPrefix } from './fence-keys.js';

export interface ClusterNames {
  /** the heartbeat log: one stream, one subject per partition */
  stream: string;
  subject(partition: number): string;
  subjects: string;
  /** KV bucket of partition leases and aggregator membership */
  leases: string;
  /** KV bucket of per-partition "now" counts published by aggregators */
  realtime: string;
  /** fencing key of a partition in the store */
  fenceKey(partition: number): string;
}

export function clusterNames(prefix: string): ClusterNames {
  return {
    stream: `${prefix}-heartbeats`,
    subject: (p) => `${prefix}.hb.${p}`,
    subjects: `${prefix}.hb.*`,
    leases: `${prefix}-leases`,
    realtime: `${prefix}-realtime`,
    fenceKey: (p) => `${fenceKeyPrefix(prefix)}${p}`,
  };
}

/** Connection problems at start name the setting, with any password in the URL masked. */
export class NatsSetupError extends Error {
  constructor(url: string, problem: string) {
    super(`LIVE_CCV_NATS_URL: NATS at ${redactNatsUrl(url)} ${problem}`);
    this.name = 'NatsSetupError';
  }
}

export interface ClusterConnection {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: ClusterNames;
  /** the connection's state, for /healthz */
  state(): 'connected' | 'reconnecting' | 'closed';
  close(): Promise<void>;
}

/**
 * Connects and checks JetStream answers. After the first connection the client reconnects forever;
 * publishes during an outage fail (collectors answer 503) and readers resume where they were.
 */
export async function connectCluster(config: Pick<Config, 'natsUrl' | 'natsPrefix'>, role: string): Promise<ClusterConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: config.natsUrl.split(',').map((s) => s.trim()),
      name: `live-ccv ${role} ${os.hostname()}:${process.pid}`,
      timeout: 5_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
    });
  } catch (e) {
    throw new NatsSetupError(config.natsUrl, `is not reachable: ${(e as Error).message}`);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await nc.jetstreamManager({ timeout: 5_000 });
  } catch (e) {
    await nc.close().catch(() => {});
    throw new NatsSetupError(config.natsUrl, `has no JetStream (start nats-server with -js): ${(e as Error).message}`);
  }
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') connected = false;
      else if (s.type === 'reconnect') connected = true;
    }
  })().catch(() => {});
  return {
    nc,
    jsm,
    names: clusterNames(config.natsPrefix),
    state: () => (nc.isClosed() ? 'closed' : connected ? 'connected' : 'reconnecting'),
    close: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

export function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((u) => u.trim().replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@'))
    .join(',');
}

/** True when a JetStream API error says the stream or consumer already exists with another configuration. */
export const alreadyInUse = (e: unknown) => /already in use/i.test(String((e as Error)?.message));
export const notFound = (e: unknown) => /not found/i.test(String((e as Error)?.message));
