/**
 * The embedded heartbeat ingest of one process (LIVE_CCV_ROLES with every role, no LIVE_CCV_NATS_URL):
 * collector (validate, log durably, acknowledge) and aggregator (exact distinct viewers per channel, pull
 * type and minute; closed minutes written to the store), over the local segment log.
 *
 * Correctness under crashes rests on three rules:
 * - a heartbeat is counted in memory only after its frame is durable, and acknowledged only after that;
 * - a minute is written to the store only once closed, after every batch validated against the previous
 *   cutoff has been counted (the barrier in `flushOnce`), and the store's set semantics make a repeated
 *   write harmless;
 * - the flushed watermark (store meta) advances after the write, and log segments are released only when
 *   all their minutes are below it; on start, replay recounts every logged minute at or above it.
 */
import path from 'node:path';
import type { Config } from '../config/config.js';
import { freshnessLagSeconds, metrics, track } from '../metrics/metrics.js';
import type { ChannelMinute, Store } from '../store/port.js';
import { Admission, AdmittingCollector } from './admission.js';
import { Background } from './background.js';
import { ChannelDirectory } from './channel-directory.js';
import { FLUSH_EVERY_MS, flushReport } from './flush-report.js';
import { LocalHeartbeatLog } from './log/local-log.js';
import type { LogRecord } from './log/port.js';
import type { MinuteAggregator } from './minute-aggregator.js';
import { PartitionCounter } from './partition-counter.js';
import type { HeartbeatIngest, IngestResult, IngestScope } from './realtime-port.js';
import { RealtimeWindow } from './realtime-window.js';
import { storageFailureReason } from '../store/storage-failure.js';
import type { ComponentHealth } from '../health/readiness.js';

export const WATERMARK_KEY = 'ingest.flushedBeforeMinute';
const PRUNE_EVERY_MS = 10_000;
const SEGMENT_BYTES = 64 * 1024 * 1024;
const SEGMENT_MAX_AGE_MS = 60_000;
const LOG_PROBE_EVERY_MS = 1_000;

export interface IngestOptions {
  now?: () => number;
  /** where background failures (a store write that will be retried) are reported */
  onError?: (err: unknown, what: string) => void;
  /** run the flush, reload and prune timers (tests may drive `flush()` themselves) */
  timers?: boolean;
  /** where the minute closer reports its flushes (debug) and falling behind (warn) */
  logger?: { debug(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class IngestService extends AdmittingCollector implements HeartbeatIngest {
  private readonly realtime = new RealtimeWindow();
  private readonly now: () => number;
  private readonly onError: (err: unknown, what: string) => void;
  private readonly inflight = new Set<Promise<void>>();
  private readonly background: Background;
  private readonly log: LocalHeartbeatLog;
  private counter!: PartitionCounter;
  /** minutes before this are closed: heartbeats for them are late */
  private closedBefore = 0;
  /** minutes before this are in the store */
  private watermark = 0;
  /** closed minutes whose write failed, retried by the next flush */
  private unwritten: ChannelMinute[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** set while flushes fail (the minutes stay in memory and the log, and are retried every second) */
  private flushFailure: { error: string; since: number } | undefined;
  private readonly logger: IngestOptions['logger'];
  private readonly untrack = track(this, {
    openMinutes: (s) => s.counter?.aggregator.openMinutes().length ?? 0,
    heldViewers: (s) => s.counter?.aggregator.heldViewers() ?? 0,
    freshnessLag: (s) => freshnessLagSeconds(s.watermark, s.now()),
  });

  private constructor(
    private readonly config: Config,
    private readonly store: Store,
    readonly directory: ChannelDirectory,
    options: IngestOptions,
  ) {
    super(new Admission(config, directory, options.now ?? Date.now));
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((err, what) => process.stderr.write(`live-ccv ingest: ${what}: ${String(err)}\n`));
    this.background = new Background(this.onError);
    this.log = new LocalHeartbeatLog({
      dir: path.join(config.dataDir, 'log'),
      fsync: config.logFsync,
      segmentBytes: SEGMENT_BYTES,
      segmentMaxAgeMs: SEGMENT_MAX_AGE_MS,
    });
    this.logger = options.logger;
  }

  /** Replays the log, writes the minutes that closed while the process was down, and starts the timers. */
  static async open(config: Config, store: Store, options: IngestOptions = {}): Promise<IngestService> {
    const s = new IngestService(config, store, new ChannelDirectory(store), options);
    s.watermark = Number((await store.getMeta(WATERMARK_KEY)) ?? 0);
    s.closedBefore = s.watermark;
    s.counter = new PartitionCounter(s.watermark);
    await s.log.read(0, (record) => s.count(record));
    await s.directory.reload();
    await s.flush();
    if (options.timers !== false) s.startTimers();
    return s;
  }

  /** The open minutes' distinct viewers (tests and diagnostics). */
  get aggregator(): MinuteAggregator {
    return this.counter.aggregator;
  }

  async submit(
    items: readonly unknown[],
    options: { scope: IngestScope; acceptTs: boolean; indexes?: readonly number[] },
  ): Promise<IngestResult> {
    const parsed = await this.admit(items, options.acceptTs);
    // From here to registering the commit nothing awaits: a flush that closes a minute after this check
    // waits for this commit before writing the minute.
    const closedBefore = Math.max(this.closedBefore, this.admission.clockCutoff());
    const { accepted, rejected } = this.admission.decide(parsed, options.scope, closedBefore, options.indexes);
    if (accepted.length > 0) {
      const commit = this.log.append(accepted);
      this.inflight.add(commit);
      try {
        await commit;
      } finally {
        this.inflight.delete(commit);
      }
    }
    return { accepted: accepted.length, rejected };
  }

  channelViewers(channelId: string, pullType?: string): Promise<number> {
    return Promise.resolve(this.realtime.count(channelId, this.now(), pullType));
  }

  channelsViewers(channelIds: readonly string[], pullType?: string): Promise<number> {
    const now = this.now();
    let n = 0;
    for (const id of new Set(channelIds)) n += this.realtime.count(id, now, pullType);
    return Promise.resolve(n);
  }

  /** Writes every closed minute to the store (one flush at a time). */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.flushOnce());
    this.flushing = next.then(
      () => {
        this.flushFailure = undefined;
      },
      (err: unknown) => {
        const error = storageFailureReason(err) ?? 'unexpected error (see the log)';
        this.flushFailure = { error, since: this.flushFailure?.since ?? this.now() };
      },
    );
    return next;
  }

  /** Readiness of the log's writes and of the flushes of closed minutes to the store. */
  health(): Record<string, ComponentHealth> {
    const log = this.log.health();
    const flush = this.flushFailure;
    return {
      heartbeatLog: log.ok ? { ok: true } : { ok: false, detail: log.error, since: log.since },
      minuteFlush: flush ? { ok: false, detail: flush.error, since: flush.since } : { ok: true },
    };
  }

  /** Log size, for tests and diagnostics. */
  logStats(): { segments: number; bytes: number } {
    return this.log.stats();
  }

  flushedBefore(): number {
    return this.watermark;
  }

  /** Stops accepting, writes the minutes that are closed (open ones stay in the log), closes the log. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.untrack();
    this.background.stop();
    await Promise.allSettled([...this.inflight]);
    try {
      await this.flush();
    } finally {
      await this.log.close();
    }
  }

  /** Durable records (replayed at open, then each committed batch) enter the counts and the "now" window. */
  private count(record: LogRecord): void {
    this.counter.add(record.beats);
    const now = this.now();
    for (const b of record.beats) this.realtime.add(b, now);
  }

  private async flushOnce(): Promise<void> {
    const cutoff = Math.max(this.closedBefore, this.admission.clockCutoff());
    this.closedBefore = cutoff;
    await Promise.allSettled([...this.inflight]);
    const rows = this.counter.close(cutoff);
    this.unwritten.push(...rows);
    if (this.unwritten.length > 0) {
      await this.store.setChannelMinutes(this.unwritten);
      this.unwritten = [];
    }
    const before = this.watermark;
    if (cutoff > this.watermark) {
      await this.store.setMeta(WATERMARK_KEY, String(cutoff));
      this.watermark = cutoff;
    }
    this.reportFlush(before, rows.length);
    await this.log.release(0, this.watermark);
  }

  private reportFlush(before: number, rows: number): void {
    const report = flushReport({
      before,
      after: this.watermark,
      rows,
      now: this.now(),
      latenessMs: this.config.allowedLatenessMs,
    });
    if (!report) return;
    metrics.minutesClosed.inc(report.fields.minutesClosed);
    metrics.minuteRowsWritten.inc(rows);
    this.logger?.[report.level](report.fields, report.msg);
  }

  private startTimers(): void {
    const every = this.background.every.bind(this.background);
    every(FLUSH_EVERY_MS, 'flushing closed minutes (will retry)', () => this.flush());
    every(this.config.channelRefreshMs, 'reloading channels', () => this.directory.reload());
    every(PRUNE_EVERY_MS, 'pruning realtime viewers', () => this.realtime.prune(this.now()));
    // a failed log write is retried by the next append; without traffic, this notices the disk is back
    every(LOG_PROBE_EVERY_MS, 'probing the heartbeat log', async () => {
      if (!this.log.health().ok) await this.log.probe();
    });
  }
}
