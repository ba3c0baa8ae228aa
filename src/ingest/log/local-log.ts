/**
 * The embedded heartbeat log behind the log port: the fsync'd segment files of ../segment-log.ts, one
 * partition. Durability is the segment log's (a record is handed to the reader, and `append` resolves, only
 * after its frame is written and, with LIVE_CCV_LOG_FSYNC=always, fsync'd); the files are replayed once, when
 * the partition is read, straight into the reader so a large backlog is never held twice in memory.
 */
import type { Heartbeat } from '../heartbeat.js';
import { encodeFrame } from '../log-codec.js';
import { SegmentLog, type LogHealth, type SegmentLogOptions } from '../segment-log.js';
import { maxMinuteOf, type HeartbeatLog, type LogReader, type RecordHandler } from './port.js';

export class LocalHeartbeatLog implements HeartbeatLog {
  readonly kind = 'local';
  readonly partitions = 1;
  private segments: SegmentLog | undefined;
  private handler: RecordHandler | undefined;
  private seq = 0;
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: SegmentLogOptions) {}

  partitionOf(_channelId: string): number {
    return 0;
  }

  async read(partition: number, handler: RecordHandler): Promise<LogReader> {
    if (partition !== 0) throw new Error(`the local heartbeat log has one partition, not ${partition + 1}`);
    if (this.segments) throw new Error('the local heartbeat log is read once per process');
    this.segments = await SegmentLog.open(this.options, (beats) =>
      handler({ seq: ++this.seq, storedAt: 0, beats: beats as Heartbeat[] }),
    );
    this.handler = handler;
    return {
      stop: async () => {
        this.handler = undefined;
      },
    };
  }

  append(beats: readonly Heartbeat[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('heartbeat log is closed'));
    const segments = this.segments;
    if (!segments) return Promise.reject(new Error('the local heartbeat log must be read before it is appended to'));
    const done = segments.append(encodeFrame(beats), maxMinuteOf(beats)).then(() => {
      // Group commits resolve in write order, so readers see records in log order.
      this.handler?.({ seq: ++this.seq, storedAt: Date.now(), beats: beats as Heartbeat[] });
    });
    this.inflight.add(done);
    const forget = () => this.inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  async mark(_partition: number, id: string): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    this.handler?.({ seq: ++this.seq, storedAt: Date.now(), beats: [], mark: id });
  }

  async release(_partition: number, closedBefore: number): Promise<void> {
    await this.segments?.compact(closedBefore);
  }

  /** Whether the last write failed (a full disk): readiness of the embedded ingest. */
  health(): LogHealth {
    return this.segments?.health() ?? { ok: true };
  }

  /** While failing and idle, tests whether the disk takes a write again (see SegmentLog.probe). */
  async probe(): Promise<LogHealth> {
    return (await this.segments?.probe()) ?? { ok: true };
  }

  /** Segment files and their bytes, for tests and diagnostics. */
  stats(): { segments: number; bytes: number } {
    return this.segments?.stats() ?? { segments: 0, bytes: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handler = undefined;
    await this.segments?.close();
  }
}
