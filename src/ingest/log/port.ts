/**
 * The heartbeat log port: where a collector makes accepted heartbeats durable and where an aggregator reads
 * them back. Adapters: ./local-log.ts (the embedded segment files, one partition) and
 * ../cluster/jetstream-log.ts (a NATS JetStream stream, one subject per partition).
 * test/log-contract.test.ts runs one suite against both.
 *
 * The promises every adapter keeps:
 * - `append` resolves only once every heartbeat is durable (fsync'd, or acknowledged by JetStream);
 * - a channel's heartbeats always go to the same partition;
 * - a reader receives a partition's retained records oldest first, then new ones as they are appended, in
 *   the log's order; a mark is received after every record appended before `mark()` was called;
 * - `release(p, closedBefore)` drops only records every heartbeat of which belongs to a minute before
 *   `closedBefore`, and only records the reader of `p` has already received.
 */
import type { Heartbeat } from '../heartbeat.js';

export interface LogRecord {
  /** position in the partition, increasing in log order */
  seq: number;
  /** epoch ms when the log stored the record: the NATS server's clock for JetStream, the local clock otherwise */
  storedAt: number;
  /** the heartbeats of one append (part of one, when an append was split); empty for a mark */
  beats: Heartbeat[];
  /** the id given to `mark()`, on marks only */
  mark?: string;
  /** records of the partition not yet delivered when this one was (JetStream only): the reader's lag */
  pending?: number;
}

export type RecordHandler = (record: LogRecord) => void;

export interface LogReader {
  /** Stops delivering; resolves when no more records will be handed to the handler. */
  stop(): Promise<void>;
}

export interface HeartbeatLog {
  readonly kind: 'local' | 'jetstream';
  readonly partitions: number;
  partitionOf(channelId: string): number;
  /** Resolves when every heartbeat is durable; rejects when any may not be (the caller must not acknowledge). */
  append(beats: readonly Heartbeat[]): Promise<void>;
  /**
   * Reads a partition: its retained records first, oldest first, then live ones, until stopped. One reader
   * per partition per process; the local log must be read before it is appended to (it replays its files
   * once, when read).
   */
  read(partition: number, handler: RecordHandler): Promise<LogReader>;
  /**
   * Appends a mark with this id to the partition (see LogRecord.mark). The reader may receive it before
   * the returned promise settles.
   */
  mark(partition: number, id: string): Promise<void>;
  /** Lets the log drop received records whose heartbeats all belong to minutes before `closedBefore`. */
  release(partition: number, closedBefore: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The partition of a channel: FNV-1a of its id modulo the partition count. Every process of a deployment
 * computes the same answer, so a channel's heartbeats always meet in one aggregator.
 */
export function partitionOf(channelId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < channelId.length; i++) {
    h ^= channelId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** The latest minute of a record's heartbeats (-Infinity for a mark). */
export function maxMinuteOf(beats: readonly Heartbeat[]): number {
  let max = -Infinity;
  for (const b of beats) {
    const m = Math.floor(b.ts / 60_000);
    if (m > max) max = m;
  }
  return max;
}
