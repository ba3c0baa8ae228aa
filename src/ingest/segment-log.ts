/**
 * The durable local heartbeat log: append-only segment files under `<dataDir>/log/`. Appends are group
 * committed: while one write+fsync is running, later appends queue, and the next round writes them all
 * with one writev and one fsync, so concurrent requests share the cost of durability.
 *
 * Every start opens a fresh segment, so older segments are read-only and a torn tail left by a crash is
 * simply where their replay stops. A sealed segment is deleted once every minute it holds is flushed.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { metrics, timed } from '../metrics/metrics.js';
import { decodeFrames } from './log-codec.js';
import type { Heartbeat } from './heartbeat.js';

export type FsyncMode = 'always' | 'never';

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  /** the latest epoch minute of a heartbeat in the segment; -Infinity while empty */
  maxMinute: number;
  openedAt: number;
}

interface Pending {
  frame: Buffer;
  maxMinute: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface SegmentLogOptions {
  dir: string;
  fsync: FsyncMode;
  /** roll to a new segment past this size */
  segmentBytes: number;
  /** roll a non-empty segment older than this, so quiet periods still let compaction free disk */
  segmentMaxAgeMs: number;
}

const NAME = /^seg-(\d{12})\.log$/;
const fileName = (seq: number) => `seg-${String(seq).padStart(12, '0')}.log`;

export class SegmentLog {
  private sealed: Segment[] = [];
  private active!: Segment;
  private fh!: fsp.FileHandle;
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  private failed: unknown;
  private closed = false;

  private constructor(private readonly opts: SegmentLogOptions) {}

  /**
   * Opens the log: reads every existing segment (calling `replay` with each intact frame's heartbeats),
   * then starts a new active segment.
   */
  static async open(opts: SegmentLogOptions, replay: (beats: Heartbeat[]) => void): Promise<SegmentLog> {
    const log = new SegmentLog(opts);
    await fsp.mkdir(opts.dir, { recursive: true });
    const seqs = (await fsp.readdir(opts.dir))
      .map((n) => NAME.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const file = path.join(opts.dir, fileName(seq));
      const data = await fsp.readFile(file);
      let maxMinute = -Infinity;
      for (const beats of decodeFrames(data)) {
        for (const b of beats) maxMinute = Math.max(maxMinute, Math.floor(b.ts / 60_000));
        replay(beats);
      }
      log.sealed.push({ seq, file, bytes: data.length, maxMinute, openedAt: 0 });
    }
    await log.openSegment((seqs.at(-1) ?? 0) + 1);
    return log;
  }

  /** Resolves once the frame is written (and fsync'd in mode `always`). */
  append(frame: Buffer, maxMinute: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('heartbeat log is closed'));
    if (this.failed) return Promise.reject(this.failed);
    return timed(
      metrics.logAppendSeconds,
      () =>
        new Promise<void>((resolve, reject) => {
          this.pending.push({ frame, maxMinute, resolve, reject });
          this.writing ??= this.drain();
        }),
    );
  }

  /** Deletes sealed segments whose heartbeats all belong to minutes before `flushedBefore`. */
  async compact(flushedBefore: number): Promise<number> {
    // Decide synchronously: a roll may seal a new segment while the deletes below are awaited.
    const done = this.sealed.filter((s) => s.maxMinute < flushedBefore);
    this.sealed = this.sealed.filter((s) => s.maxMinute >= flushedBefore);
    for (const s of done) await fsp.rm(s.file, { force: true });
    return done.length;
  }

  /** Segment files and their bytes, for tests and metrics. */
  stats(): { segments: number; bytes: number } {
    const all = [...this.sealed, this.active];
    return { segments: all.length, bytes: all.reduce((n, s) => n + s.bytes, 0) };
  }

  /** Waits for queued appends, then closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    await this.fh.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.maybeRoll();
          await this.writeAll(batch.map((p) => p.frame));
          if (this.opts.fsync === 'always') await timed(metrics.logFsyncSeconds, () => this.fh.datasync());
        } catch (e) {
          // A failed write or fsync leaves the file's state unknown: refuse everything from now on.
          this.failed = e;
          for (const p of [...batch, ...this.pending.splice(0)]) p.reject(e);
          return;
        }
        for (const p of batch) {
          this.active.bytes += p.frame.length;
          this.active.maxMinute = Math.max(this.active.maxMinute, p.maxMinute);
          p.resolve();
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeAll(frames: Buffer[]): Promise<void> {
    let rest = frames;
    while (rest.length > 0) {
      let { bytesWritten } = await this.fh.writev(rest);
      const next: Buffer[] = [];
      for (const f of rest) {
        if (bytesWritten >= f.length) bytesWritten -= f.length;
        else {
          next.push(bytesWritten > 0 ? f.subarray(bytesWritten) : f);
          bytesWritten = 0;
        }
      }
      rest = next;
    }
  }

  private async maybeRoll(): Promise<void> {
    const a = this.active;
    const old = Date.now() - a.openedAt > this.opts.segmentMaxAgeMs;
    if (a.bytes === 0 || (a.bytes < this.opts.segmentBytes && !old)) return;
    await this.fh.close();
    this.sealed.push(a);
    await this.openSegment(a.seq + 1);
  }

  private async openSegment(seq: number): Promise<void> {
    const file = path.join(this.opts.dir, fileName(seq));
    this.fh = await fsp.open(file, 'a');
    // The new file's directory entry must survive a power loss too, or its fsync'd frames could vanish.
    if (this.opts.fsync === 'always') syncDir(this.opts.dir);
    this.active = { seq, file, bytes: 0, maxMinute: -Infinity, openedAt: Date.now() };
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
