/**
 * One partition counted by its current owner. Exactness rests on these rules:
 *
 * - **Rebuild before closing.** The owner reads the partition from its oldest retained record, so the open
 *   minutes are rebuilt from the log before anything closes; beats of minutes the store already has (the
 *   progress saved with the fence) are dropped, never re-added.
 * - **Close on marks, by the log's clock.** A minute m closes when the reader meets a mark the NATS server
 *   stored at or after end(m) + lateness + publish timeout + clock skew. A collector acknowledges a beat of
 *   minute m only if it checked it before end(m) + lateness by its own clock and JetStream stored it within
 *   the publish timeout of that check, so its server timestamp is earlier than such a mark's, and it comes
 *   before the mark in the log: every acknowledged beat is counted before its minute closes. The owner's own
 *   clock only decides when to publish marks (freshness), never what is counted.
 * - **Set, fenced, then release.** Closed minutes are written with set semantics together with the new
 *   progress, in one transaction that checks this owner's fencing token; records are released from the log
 *   only after that commit. A crash anywhere replays to the same values.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.js';
import { MINUTE_MS } from '../../domain/calendar.js';
import { FencedError, type FenceToken } from '../../store/fence.js';
import type { ChannelMinute, Store } from '../../store/port.js';
import type { HeartbeatLog, LogReader, LogRecord } from '../log/port.js';
import { PartitionCounter } from '../partition-counter.js';
import { RealtimeWindow } from '../realtime-window.js';

/** `clockOffsetMs` (tests only) shifts every process's clock, so it shifts the log's timestamps too. */
type Timing = Pick<Config, 'allowedLatenessMs' | 'publishTimeoutMs' | 'maxClockSkewMs'> & Partial<Pick<Config, 'clockOffsetMs'>>;

/** How long after its end, on the log's clock, a minute closes. */
export const closeDelayMs = (c: Timing) => c.allowedLatenessMs + c.publishTimeoutMs + c.maxClockSkewMs;

/** The first minute still open at log time `t`. */
export const openFrom = (t: number, c: Timing) => Math.floor((t - closeDelayMs(c)) / MINUTE_MS);

const MARK_EVERY_MS = 250;
/** A mark not seen back within this is given up on, and another is published. */
const MARK_PATIENCE_MS = 10_000;
const RETRY_MS = 1_000;

export interface WorkerDeps {
  config: Timing;
  store: Store;
  log: HeartbeatLog;
  now: () => number;
  onError(err: unknown, what: string): void;
  /** the store refused this owner's token: stop and let the leases know */
  onFenced(partition: number): void;
}

interface Closing {
  rows: ChannelMinute[];
  cutoff: number;
}

export class PartitionWorker {
  readonly realtime = new RealtimeWindow();
  private counter!: PartitionCounter;
  private reader: LogReader | undefined;
  private timer: NodeJS.Timeout | undefined;
  private startMark: string | undefined;
  private pendingMark: { id: string; at: number } | undefined;
  private readonly closing: Closing[] = [];
  private committing: Promise<void> | undefined;
  private stopped = false;
  /** true once the records retained when the lease was taken have all been read */
  live = false;
  /** when the owner took the lease and when it had caught up (epoch ms) */
  readonly acquiredAt: number;
  liveAt: number | undefined;

  constructor(
    readonly partition: number,
    readonly token: FenceToken,
    private readonly deps: WorkerDeps,
  ) {
    this.acquiredAt = deps.now();
  }

  /** Claims the fence, then reads the partition from its oldest record. */
  async start(): Promise<void> {
    const progress = await this.deps.store.claimFence(this.token);
    this.counter = new PartitionCounter(progress === undefined ? 0 : Number(progress));
    this.reader = await this.deps.log.read(this.partition, (r) => this.onRecord(r));
    // Reaching this mark means the backlog retained at acquisition is counted.
    this.startMark = randomUUID();
    this.pendingMark = { id: this.startMark, at: this.deps.now() };
    await this.deps.log.mark(this.partition, this.startMark);
    this.timer = setInterval(() => this.maybeMark(), MARK_EVERY_MS);
    this.timer.unref();
  }

  /** Minutes before this are written (or being written) to the store. */
  closedBefore(): number {
    return this.counter?.closedBefore ?? 0;
  }

  /** Heartbeats counted since this owner took the partition (replayed ones included). */
  counted = 0;
  /** log records not yet read, as of the last one read */
  lag = 0;

  /** Heartbeats dropped because their minute had closed. */
  dropped(): number {
    return this.counter?.dropped ?? 0;
  }

  /**
   * Stops reading. `drain` lets closed minutes already taken finish their write (a handover, with the lease
   * still ours), for at most `drainMs`; otherwise they are abandoned and the next owner recounts them.
   */
  async stop(drain: boolean, drainMs = 5_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.reader?.stop();
    if (drain && this.committing) {
      await Promise.race([this.committing, new Promise((r) => setTimeout(r, drainMs).unref())]);
    }
    this.closing.length = 0;
  }

  private onRecord(r: LogRecord): void {
    if (this.stopped) return;
    this.lag = r.pending ?? 0;
    if (r.mark === undefined) {
      this.counted += r.beats.length - this.counter.add(r.beats);
      const now = this.deps.now();
      for (const b of r.beats) this.realtime.add(b, now);
      return;
    }
    if (r.mark === this.startMark && !this.live) {
      this.live = true;
      this.liveAt = this.deps.now();
    }
    if (this.pendingMark?.id === r.mark) this.pendingMark = undefined;
    const before = this.counter.closedBefore;
    const rows = this.counter.close(openFrom(r.storedAt + (this.deps.config.clockOffsetMs ?? 0), this.deps.config));
    // The progress is saved even without rows: it is what tells a later owner which minutes are final.
    if (this.counter.closedBefore > before) {
      this.closing.push({ rows, cutoff: this.counter.closedBefore });
      this.committing ??= this.commitAll();
    }
  }

  private async commitAll(): Promise<void> {
    try {
      while (!this.stopped && this.closing.length > 0) {
        const next = this.closing[0]!;
        try {
          await this.deps.store.setChannelMinutesFenced(next.rows, this.token, String(next.cutoff));
        } catch (e) {
          if (e instanceof FencedError) {
            this.deps.onFenced(this.partition);
            return;
          }
          this.deps.onError(e, `writing closed minutes of partition ${this.partition} (will retry)`);
          await new Promise((r) => setTimeout(r, RETRY_MS).unref());
          continue;
        }
        this.closing.shift();
        await this.deps.log.release(this.partition, next.cutoff).catch((e) => this.deps.onError(e, 'releasing log records'));
      }
    } finally {
      this.committing = undefined;
    }
  }

  /** Publishes a mark when, by this process's clock, a minute is due to close (and none is on its way). */
  private maybeMark(): void {
    if (this.stopped || !this.live) return;
    const now = this.deps.now();
    if (this.pendingMark && now - this.pendingMark.at < MARK_PATIENCE_MS) return;
    if (openFrom(now, this.deps.config) <= this.counter.closedBefore) return;
    const pending = { id: randomUUID(), at: now };
    this.pendingMark = pending;
    this.deps.log.mark(this.partition, pending.id).then(
      () => {},
      (e) => {
        if (this.pendingMark === pending) this.pendingMark = undefined;
        this.deps.onError(e, `marking partition ${this.partition} (will retry)`);
      },
    );
  }
}
