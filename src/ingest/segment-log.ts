/**
 * The durable local heartbeat log: append-only segment files under `<dataDir>/log/`. Appends are group
 * committed: while one write+fsync is running, later appends queue, and the next round writes them all
 * with one writev and one fsync, so concurrent requests share the cost of durability.
 *
 * Every start opens a fresh segment, so older segments are read-only and a torn tail left by a crash is
 * simply where their replay stops. A sealed segment is deleted once every minute it holds is flushed.
 *
 * A failed write or fsync (a full disk, an I/O error) refuses that round's appends with a
 * StorageUnavailableError and is not remembered: the active segment is cut back to the bytes already
 * acknowledged (or, when even that fails, sealed with its torn tail and replaced by a new segment), and
 * the next append tries again. So an append is acknowledged only when its frame is durable, a refused one
 * leaves at most a torn or unacknowledged frame behind (replaying it later counts viewers who did send a
 * heartbeat: counts are distinct viewers, so it never counts anyone twice), and writes resume by
 * themselves once space is back. `health()` says whether the last write failed; `probe()` tests the disk
 * while failing, so readiness recovers without traffic.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { asStorageFailure, StorageUnavailableError } from '../store/storage-failure.js';
import { metrics, timed } from '../metrics/metrics.js';
import { decodeFrames } from './log-codec.js';
import type { Heartbeat } from './heartbeat.js';

export type FsyncMode = 'always' | 'never';

interface LogFile {
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

export interface LogHealth {
  ok: boolean;
  /** why the last write failed, while failing */
  error?: string;
  /** epoch ms of the first failure of the current run of failures */
  since?: number;
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
const PROBE_BYTES = 4096;
const fileName = (seq: number) => `seg-${String(seq).padStart(12, '0')}.log`;

export class SegmentLog {
  private sealed: LogFile[] = [];
  private active!: LogFile;
  /** the active segment's handle; undefined once it is sealed, until the next write opens a new one */
  private fh: fsp.FileHandle | undefined;
  private pending: Pending[] = [];
  private writing: Promise<void> | undefined;
  /** set from a failed write until a write or probe succeeds */
  private failure: { error: StorageUnavailableError; since: number } | undefined;
  /** the active segment may hold bytes past `active.bytes` from a failed write */
  private dirty = false;
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
    const all = this.fh ? [...this.sealed, this.active] : this.sealed;
    return { segments: all.length, bytes: all.reduce((n, s) => n + s.bytes, 0) };
  }

  health(): LogHealth {
    const f = this.failure;
    return f ? { ok: false, error: f.error.reason, since: f.since } : { ok: true };
  }

  /**
   * While failing and idle, tests whether the disk takes a write again: repairs the active segment, then
   * writes, fsyncs and removes a small probe file. Clears the failure when that works.
   */
  async probe(): Promise<LogHealth> {
    if (!this.failure || this.writing || this.closed) return this.health();
    const probing = (async () => {
      try {
        await this.repair();
        const file = path.join(this.opts.dir, 'probe.tmp');
        const fh = await fsp.open(file, 'w');
        try {
          await fh.writeFile(Buffer.alloc(PROBE_BYTES));
          await fh.datasync();
        } finally {
          await fh.close();
          await fsp.rm(file, { force: true });
        }
        this.failure = undefined;
      } catch (e) {
        this.fail(e);
      }
    })();
    this.writing = probing.finally(() => {
      this.writing = undefined;
      // appends queued behind the probe
      if (this.pending.length > 0) this.writing ??= this.drain();
    });
    await this.writing;
    return this.health();
  }

  /** Waits for queued appends, then closes the active segment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.repair();
          await this.maybeRoll();
          if (!this.fh) await this.openSegment(this.active.seq + 1);
          this.dirty = true;
          await this.writeAll(
            this.fh!,
            batch.map((p) => p.frame),
          );
          if (this.opts.fsync === 'always') await timed(metrics.logFsyncSeconds, () => this.fh!.datasync());
          this.dirty = false;
        } catch (e) {
          const error = this.fail(e);
          // the refused frames may still be intact on disk: keep the segment until their minutes are flushed
          for (const p of batch) this.active.maxMinute = Math.max(this.active.maxMinute, p.maxMinute);
          for (const p of batch) p.reject(error);
          continue; // later appends try again: a write that works is the recovery
        }
        this.failure = undefined;
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

  private fail(e: unknown): StorageUnavailableError {
    const classified = asStorageFailure(e);
    const error =
      classified instanceof StorageUnavailableError
        ? new StorageUnavailableError(`heartbeat log: ${classified.reason}`, { cause: e })
        : // unexpected codes are named, never the message: it would carry the segment's path
          new StorageUnavailableError(`heartbeat log: write failed (${String((e as { code?: unknown })?.code ?? 'unknown')})`, {
            cause: e,
          });
    this.failure = { error, since: this.failure?.since ?? Date.now() };
    return error;
  }

  /**
   * After a failed write the active segment may end in a partial or unacknowledged frame. Cut it back to
   * the acknowledged bytes (shrinking needs no free space); if even that fails, seal the segment as it is
   * (replay stops at its torn tail) so the next write opens a new one.
   */
  private async repair(): Promise<void> {
    if (!this.dirty) return;
    const fh = this.fh;
    if (fh) {
      try {
        await fh.truncate(this.active.bytes);
        if (this.opts.fsync === 'always') await fh.datasync();
        this.dirty = false;
        return;
      } catch {
        await this.seal();
      }
    }
    this.dirty = false;
  }

  /** Closes the active segment for good; the next write opens a new one. */
  private async seal(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    this.fh = undefined;
    this.sealed.push(this.active);
    await fh.close().catch(() => undefined); // its frames were fsync'd (or never acknowledged)
  }

  private async writeAll(fh: fsp.FileHandle, frames: Buffer[]): Promise<void> {
    let rest = frames;
    while (rest.length > 0) {
      let { bytesWritten } = await fh.writev(rest);
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
    if (!this.fh || a.bytes === 0 || (a.bytes < this.opts.segmentBytes && !old)) return;
    await this.seal();
    await this.openSegment(a.seq + 1);
  }

  private async openSegment(seq: number): Promise<void> {
    const file = path.join(this.opts.dir, fileName(seq));
    const fh = await fsp.open(file, 'a');
    try {
      // The new file's directory entry must survive a power loss too, or its fsync'd frames could vanish.
      if (this.opts.fsync === 'always') syncDir(this.opts.dir);
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
    this.fh = fh;
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
