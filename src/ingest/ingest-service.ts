/**
 * The heartbeat ingest of one process: collector (validate, log durably, acknowledge) and aggregator
 * (exact distinct viewers per channel, pull type and minute; closed minutes written to the store).
 *
 * Correctness under crashes rests on three rules:
 * - a heartbeat is counted in memory only after its frame is durable, and acknowledged only after that;
 * - a minute is written to the store only once closed, after every batch validated against the previous
 *   cutoff has been counted (the barrier in `flushOnce`), and the store's set semantics make a repeated
 *   write harmless;
 * - the flushed watermark (store meta) advances after the write, and log segments are deleted only when
 *   all their minutes are below it; on start, replay recounts every logged minute at or above it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { MINUTE_MS } from '../domain/calendar.js';
import { errors } from '../errors.js';
import type { Store } from '../store/port.js';
import { freshnessLagSeconds, metrics, track } from '../metrics/metrics.js';
import { ChannelDirectory } from './channel-directory.js';
import { FLUSH_EVERY_MS, flushReport } from './flush-report.js';
import { minuteOf, parseHeartbeat, type Heartbeat } from './heartbeat.js';
import { encodeFrame } from './log-codec.js';
import { MinuteAggregator } from './minute-aggregator.js';
import type { HeartbeatIngest, IngestRejection, IngestResult, IngestScope } from './realtime-port.js';
import { RealtimeWindow } from './realtime-window.js';
import { storageFailureReason } from '../store/storage-failure.js';
import type { ComponentHealth } from '../health/readiness.js';
import { SegmentLog } from './segment-log.js';

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

const digest = (s: string) => createHash('sha256').update(s).digest();

export class IngestService implements HeartbeatIngest {
  readonly aggregator = new MinuteAggregator();
  private readonly realtime = new RealtimeWindow();
  private readonly pullTypes: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly onError: (err: unknown, what: string) => void;
  private readonly inflight = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private log!: SegmentLog;
  /** minutes before this are closed: heartbeats for them are late */
  private closedBefore = 0;
  /** minutes before this are in the store */
  private watermark = 0;
  private flushing: Promise<void> = Promise.resolve();
  /** set while flushes fail (the minutes stay in memory and the log, and are retried every second) */
  private flushFailure: { error: string; since: number } | undefined;
  private stopped = false;
  private readonly logger: IngestOptions['logger'];
  private readonly untrack = track(this, {
    openMinutes: (s) => s.aggregator.openMinutes().length,
    heldViewers: (s) => s.aggregator.heldViewers(),
    freshnessLag: (s) => freshnessLagSeconds(s.watermark, s.now()),
  });

  private constructor(
    private readonly config: Config,
    private readonly store: Store,
    readonly directory: ChannelDirectory,
    options: IngestOptions,
  ) {
    this.pullTypes = new Set(config.pullTypes);
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((err, what) => process.stderr.write(`live-ccv ingest: ${what}: ${String(err)}\n`));
    this.logger = options.logger;
  }

  /** Replays the log, writes the minutes that closed while the process was down, and starts the timers. */
  static async open(config: Config, store: Store, options: IngestOptions = {}): Promise<IngestService> {
    const s = new IngestService(config, store, new ChannelDirectory(store), options);
    s.watermark = Number((await store.getMeta(WATERMARK_KEY)) ?? 0);
    s.closedBefore = s.watermark;
    const now = s.now();
    s.log = await SegmentLog.open(
      {
        dir: path.join(config.dataDir, 'log'),
        fsync: config.logFsync,
        segmentBytes: SEGMENT_BYTES,
        segmentMaxAgeMs: SEGMENT_MAX_AGE_MS,
      },
      (beats) => {
        for (const b of beats) {
          if (minuteOf(b.ts) < s.watermark) continue;
          s.aggregator.add(b);
          s.realtime.add(b, now);
        }
      },
    );
    await s.directory.reload();
    await s.flush();
    if (options.timers !== false) s.startTimers();
    return s;
  }

  authorize(token: string): IngestScope | undefined {
    const global = this.config.ingestToken;
    if (global && timingSafeEqual(digest(token), digest(global))) return { kind: 'global' };
    const appId = this.directory.appOfToken(token);
    return appId === undefined ? undefined : { kind: 'app', appId };
  }

  /** True when some token could authorize a batch (else the endpoint is disabled). */
  tokensConfigured(): boolean {
    return this.config.ingestToken !== '' || this.directory.hasAppTokens();
  }

  async submit(
    items: readonly unknown[],
    options: { scope: IngestScope; acceptTs: boolean; indexes?: readonly number[] },
  ): Promise<IngestResult> {
    if (this.stopped) throw errors.unavailable('heartbeat ingest (shutting down)');
    const now = this.now();
    const parsed = items.map((raw) => parseHeartbeat(raw, this.pullTypes, now, options.acceptTs));
    const unknown = new Set<string>();
    for (const p of parsed)
      if (typeof p !== 'string' && this.directory.owner(p.channelId) === undefined) unknown.add(p.channelId);
    if (unknown.size > 0) await this.directory.resolve(unknown, now);

    // From here to registering the commit nothing awaits: a flush that closes a minute after this check
    // waits for this commit before writing the minute.
    const closedBefore = Math.max(this.closedBefore, this.clockCutoff());
    const rejected: IngestRejection[] = [];
    const accepted: Heartbeat[] = [];
    let maxMinute = -Infinity;
    for (let i = 0; i < parsed.length; i++) {
      const p = parsed[i]!;
      const reason = typeof p === 'string' ? p : this.refusal(p, options.scope, closedBefore);
      if (reason !== undefined) {
        rejected.push({ index: options.indexes?.[i] ?? i, reason });
        continue;
      }
      const hb = p as Heartbeat;
      accepted.push(hb);
      const m = minuteOf(hb.ts);
      if (m > maxMinute) maxMinute = m;
    }
    if (accepted.length > 0) {
      const commit = this.commit(accepted, maxMinute);
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
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.inflight]);
    try {
      await this.flush();
    } finally {
      await this.log.close();
    }
  }

  private refusal(b: Heartbeat, scope: IngestScope, closedBefore: number): string | undefined {
    const owner = this.directory.owner(b.channelId);
    if (owner === undefined) return `unknown channel: ${b.channelId}`;
    if (scope.kind === 'app' && owner !== scope.appId) return `illegal channel id: ${b.channelId}`;
    const m = minuteOf(b.ts);
    if (m < closedBefore) return `late: minute ${new Date(m * MINUTE_MS).toISOString()} is already closed`;
    return undefined;
  }

  private async commit(beats: Heartbeat[], maxMinute: number): Promise<void> {
    await this.log.append(encodeFrame(beats), maxMinute);
    const now = this.now();
    for (const b of beats) {
      this.aggregator.add(b);
      this.realtime.add(b, now);
    }
  }

  /** Minutes before the returned one have ended more than allowedLateness ago. */
  private clockCutoff(): number {
    return Math.floor((this.now() - this.config.allowedLatenessMs) / MINUTE_MS);
  }

  private async flushOnce(): Promise<void> {
    const cutoff = Math.max(this.closedBefore, this.clockCutoff());
    this.closedBefore = cutoff;
    await Promise.allSettled([...this.inflight]);
    const rows = this.aggregator.closedRows(cutoff);
    if (rows.length > 0) await this.store.setChannelMinutes(rows);
    const before = this.watermark;
    if (cutoff > this.watermark) {
      await this.store.setMeta(WATERMARK_KEY, String(cutoff));
      this.watermark = cutoff;
    }
    this.reportFlush(before, rows.length);
    this.aggregator.drop(cutoff);
    await this.log.compact(this.watermark);
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
    const every = (ms: number, what: string, work: () => Promise<void> | void) => {
      const t = setInterval(() => {
        Promise.resolve()
          .then(work)
          .catch((err: unknown) => this.onError(err, what));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(FLUSH_EVERY_MS, 'flushing closed minutes (will retry)', () => this.flush());
    every(this.config.channelRefreshMs, 'reloading channels', () => this.directory.reload());
    every(PRUNE_EVERY_MS, 'pruning realtime viewers', () => this.realtime.prune(this.now()));
    // a failed log write is retried by the next append; without traffic, this notices the disk is back
    every(LOG_PROBE_EVERY_MS, 'probing the heartbeat log', async () => {
      if (!this.log.health().ok) await this.log.probe();
    });
  }
}
