/**
 * "Now" counts across processes. Each aggregator publishes, every LIVE_CCV_REALTIME_PUBLISH_MS, one KV entry
 * per partition it owns and has caught up on: `{"at": <its clock>, "c": {"<channelId>": {"<pullType>": n}}}`.
 * Every api process watches the bucket and answers realtime calls from memory.
 *
 * Staleness: an answer is at most one publish interval plus the watch's delivery (milliseconds) behind what
 * the owning aggregator saw, and that is at most the log's delivery behind the collectors. A partition whose
 * entry is older than three intervals plus the clock skew (its owner died and the lease has not moved yet,
 * or no aggregator runs) answers 503 rather than a number that silently left viewers out.
 */
import type { KV, KvEntry, QueuedIterator } from 'nats';
import type { Config } from '../../config/config.js';
import { errors } from '../../errors.js';
import { partitionOf } from '../log/port.js';
import type { Realtime } from '../realtime-port.js';
import { openBucket } from './leases.js';
import type { ClusterConnection } from './nats.js';

export interface BoardEntry {
  at: number;
  c: Record<string, Record<string, number>>;
}

type BoardConfig = Pick<Config, 'realtimePublishMs' | 'maxClockSkewMs' | 'partitions' | 'natsReplicas'>;

const enc = new TextEncoder();
const key = (p: number) => `p.${p}`;
/** Entries outlive a few missed publishes, then vanish with their owner. */
const bucketTtl = (c: BoardConfig) => Math.max(10_000, 5 * c.realtimePublishMs);

export async function openBoard(conn: ClusterConnection, config: BoardConfig): Promise<KV> {
  return openBucket(conn, conn.names.realtime, bucketTtl(config), config.natsReplicas);
}

export async function publishBoard(kv: KV, partition: number, entry: BoardEntry): Promise<void> {
  await kv.put(key(partition), enc.encode(JSON.stringify(entry)));
}

/** The api side: the latest entry of every partition, kept current by a watch. */
export class ClusterRealtime implements Realtime {
  private readonly entries = new Map<number, BoardEntry>();
  private readonly loop: Promise<void>;

  private constructor(
    private readonly watch: QueuedIterator<KvEntry>,
    private readonly config: BoardConfig,
    private readonly now: () => number,
  ) {
    this.loop = (async () => {
      for await (const e of watch) this.apply(e);
    })().catch(() => {});
  }

  static async open(conn: ClusterConnection, config: BoardConfig, now: () => number = Date.now): Promise<ClusterRealtime> {
    const kv = await openBoard(conn, config);
    let ready!: () => void;
    const initialized = new Promise<void>((r) => (ready = r));
    const watch = await kv.watch({ key: 'p.*', initializedFn: () => ready() });
    const board = new ClusterRealtime(watch, config, now);
    await initialized;
    return board;
  }

  async channelViewers(channelId: string, pullType?: string): Promise<number> {
    return this.viewers(this.entry(partitionOf(channelId, this.config.partitions)), channelId, pullType);
  }

  async channelsViewers(channelIds: readonly string[], pullType?: string): Promise<number> {
    let n = 0;
    for (const id of new Set(channelIds)) n += this.viewers(this.entry(partitionOf(id, this.config.partitions)), id, pullType);
    return n;
  }

  async close(): Promise<void> {
    this.watch.stop();
    await this.loop;
  }

  private apply(e: KvEntry): void {
    const p = Number(e.key.slice(2));
    if (e.operation !== 'PUT') {
      this.entries.delete(p);
      return;
    }
    try {
      this.entries.set(p, e.json<BoardEntry>());
    } catch {
      // a malformed entry is ignored; the owner's next publish replaces it
    }
  }

  private entry(p: number): BoardEntry {
    const e = this.entries.get(p);
    const limit = 3 * this.config.realtimePublishMs + this.config.maxClockSkewMs;
    if (!e || this.now() - e.at > limit) {
      throw errors.unavailable(`realtime viewer counts (no aggregator has published partition ${p} in the last ${limit} ms)`);
    }
    return e;
  }

  private viewers(e: BoardEntry, channelId: string, pullType?: string): number {
    const byPull = e.c[channelId];
    if (!byPull) return 0;
    if (pullType !== undefined) return byPull[pullType] ?? 0;
    let n = 0;
    for (const v of Object.values(byPull)) n += v;
    return n;
  }
}
