/**
 * The aggregator role of a cluster deployment: holds partition leases (./leases.ts), runs a PartitionWorker
 * for each partition it owns, and publishes the owned partitions' "now" counts for the api processes.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { KV } from 'nats';
import type { Config } from '../../config/config.js';
import type { FenceToken } from '../../store/fence.js';
import type { Store } from '../../store/port.js';
import type { HeartbeatLog } from '../log/port.js';
import { Background } from '../background.js';
import { PartitionLeases } from './leases.js';
import type { ClusterConnection } from './nats.js';
import { PartitionWorker } from './partition-worker.js';
import { openBoard, publishBoard } from './realtime-board.js';

const PRUNE_EVERY_MS = 10_000;

export interface AggregatorStatus {
  id: string;
  /** partitions this aggregator holds a lease on */
  owned: number[];
  /** of those, the ones whose backlog is read: counting live */
  live: number[];
  /** heartbeats found in the log after their minute closed (never acknowledged, or re-read): dropped */
  droppedLate: number;
  /** heartbeats counted by the current owners of this aggregator's partitions (replays included) */
  counted: number;
  /** log records of the owned partitions not read yet */
  lag: number;
}

export interface AggregatorOptions {
  now?: () => number;
  onError?: (err: unknown, what: string) => void;
  /** overrides the generated member id (letters, digits, - and _) */
  id?: string;
  /** ownership changes, one line each */
  onEvent?: (line: string) => void;
}

export class ClusterAggregator {
  private readonly workers = new Map<number, PartitionWorker>();
  private leases!: PartitionLeases;
  private board!: KV;
  private readonly background: Background;
  private readonly now: () => number;
  private readonly onError: (err: unknown, what: string) => void;
  private readonly onEvent: (line: string) => void;
  readonly id: string;

  private constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly log: HeartbeatLog,
    options: AggregatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.onError =
      options.onError ??
      ((err, what) => process.stderr.write(`live-ccv aggregator: ${what}: ${(err as Error)?.message ?? err}\n`));
    this.background = new Background(this.onError);
    this.onEvent = options.onEvent ?? ((line) => process.stderr.write(`live-ccv aggregator: ${line}\n`));
    const host = os
      .hostname()
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 40);
    this.id = options.id ?? `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  static async start(
    config: Config,
    store: Store,
    log: HeartbeatLog,
    conn: ClusterConnection,
    options: AggregatorOptions = {},
  ): Promise<ClusterAggregator> {
    const a = new ClusterAggregator(config, store, log, options);
    a.board = await openBoard(conn, config);
    a.leases = await PartitionLeases.open(
      conn,
      { partitions: config.partitions, ttlMs: config.leaseTtlMs, replicas: config.natsReplicas, id: a.id, onError: a.onError },
      { acquired: (p, token) => a.acquired(p, token), lost: (p, reason) => a.lost(p, reason) },
    );
    a.leases.start();
    a.background.every(config.realtimePublishMs, 'publishing realtime counts', () => a.publishRealtime());
    a.background.every(PRUNE_EVERY_MS, 'pruning realtime viewers', () => {
      for (const w of a.workers.values()) w.realtime.prune(a.now());
    });
    return a;
  }

  status(): AggregatorStatus {
    const owned = this.leases.owned();
    let droppedLate = 0;
    let counted = 0;
    let lag = 0;
    for (const w of this.workers.values()) {
      droppedLate += w.dropped();
      counted += w.counted;
      lag += w.lag;
    }
    return { id: this.id, owned, live: owned.filter((p) => this.workers.get(p)?.live), droppedLate, counted, lag };
  }

  /** Hands every partition back (closed minutes already taken finish their write first). */
  async stop(): Promise<void> {
    this.background.stop();
    await this.leases.stop();
  }

  private async acquired(p: number, token: FenceToken): Promise<void> {
    const worker = new PartitionWorker(p, token, {
      config: this.config,
      store: this.store,
      log: this.log,
      now: this.now,
      onError: this.onError,
      onFenced: (partition) => void this.leases.fenced(partition),
    });
    this.workers.set(p, worker);
    try {
      await worker.start();
      this.onEvent(`partition ${p} acquired (fencing epoch ${token.epoch}), replaying its log`);
    } catch (e) {
      this.workers.delete(p);
      await worker.stop(false);
      throw e;
    }
  }

  private async lost(p: number, reason: string): Promise<void> {
    const worker = this.workers.get(p);
    if (!worker) return;
    this.workers.delete(p);
    await worker.stop(true);
    this.onEvent(`partition ${p} released: ${reason}`);
  }

  private async publishRealtime(): Promise<void> {
    const now = this.now();
    await Promise.all(
      [...this.workers.values()]
        .filter((w) => w.live)
        .map((w) => publishBoard(this.board, w.partition, { at: now, c: w.realtime.snapshot(now) })),
    );
  }
}
