/**
 * The heartbeat log on NATS JetStream behind the log port: one stream `<prefix>-heartbeats`, one subject
 * `<prefix>.hb.<partition>` per partition. Durability is JetStream's: `append` resolves only after the
 * server acknowledged every message (with R=3, after a quorum stored it), and fails otherwise, so a
 * collector never acknowledges a heartbeat the log may not hold.
 *
 * Records are released by purging a partition's subject up to a sequence, only past records its reader has
 * already handed to the counter and whose minutes are written (the caller's promise). Nothing expires by
 * age: if aggregators stop, the stream grows until its limits refuse new messages (collectors answer 503),
 * never dropping an acknowledged heartbeat.
 */
import {
  DiscardPolicy,
  headers,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type StreamInfo,
} from 'nats';
import type { Heartbeat } from '../heartbeat.js';
import { decodeFrames, encodeChunks } from '../log-codec.js';
import { maxMinuteOf, partitionOf, type HeartbeatLog, type LogReader, type RecordHandler } from '../log/port.js';
import { alreadyInUse, notFound, type ClusterConnection } from './nats.js';

const MARK_HEADER = 'Live-Ccv-Mark';
/** Room left under the server's max payload for the subject, headers and protocol framing. */
const PAYLOAD_HEADROOM = 8 * 1024;
/** Bytes a reader buffers ahead per partition. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export interface JetStreamLogOptions {
  partitions: number;
  replicas: number;
  publishTimeoutMs: number;
}

/** What a reader has handed out and not yet released: sequences with their latest minute, in order. */
class Received {
  private seqs: number[] = [];
  private minutes: number[] = [];
  private head = 0;

  push(seq: number, maxMinute: number): void {
    this.seqs.push(seq);
    this.minutes.push(maxMinute);
  }

  /** Drops the leading records whose minutes are all before `closedBefore`; the last dropped sequence. */
  shiftBefore(closedBefore: number): number | undefined {
    let last: number | undefined;
    while (this.head < this.seqs.length && this.minutes[this.head]! < closedBefore) last = this.seqs[this.head++];
    if (this.head > 4096 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.minutes = this.minutes.slice(this.head);
      this.head = 0;
    }
    return last;
  }
}

export class JetStreamHeartbeatLog implements HeartbeatLog {
  readonly kind = 'jetstream';
  readonly partitions: number;
  private readonly js: JetStreamClient;
  private readonly received = new Map<number, Received>();
  private readonly readers = new Set<LogReader>();
  private readonly maxChunk: number;

  private constructor(
    private readonly conn: ClusterConnection,
    options: JetStreamLogOptions,
  ) {
    this.partitions = options.partitions;
    this.js = conn.nc.jetstream({ timeout: options.publishTimeoutMs });
    this.maxChunk = Math.max(64 * 1024, conn.nc.info!.max_payload - PAYLOAD_HEADROOM);
  }

  /** Creates the stream when missing; refuses a stream made for another partition count. */
  static async open(conn: ClusterConnection, options: JetStreamLogOptions): Promise<JetStreamHeartbeatLog> {
    const { jsm, names } = conn;
    const description = `live-ccv heartbeat log, ${options.partitions} partitions`;
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(names.stream);
    } catch (e) {
      if (!notFound(e)) throw e;
      try {
        info = await jsm.streams.add({
          name: names.stream,
          description,
          subjects: [names.subjects],
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.New,
          num_replicas: options.replicas,
        });
      } catch (e2) {
        if (!alreadyInUse(e2)) throw e2;
        info = await jsm.streams.info(names.stream); // another process created it a moment ago
      }
    }
    const made = /(\d+) partitions/.exec(info.config.description ?? '')?.[1];
    if (made !== undefined && Number(made) !== options.partitions) {
      throw new Error(
        `LIVE_CCV_PARTITIONS=${options.partitions} but the stream ${names.stream} holds ${made} partitions: every process of a ` +
          `deployment needs the same count (to change it, let the aggregators drain the stream, stop everything and delete the stream)`,
      );
    }
    return new JetStreamHeartbeatLog(conn, options);
  }

  partitionOf(channelId: string): number {
    return partitionOf(channelId, this.partitions);
  }

  async append(beats: readonly Heartbeat[]): Promise<void> {
    const byPartition = new Map<number, Heartbeat[]>();
    for (const b of beats) {
      const p = this.partitionOf(b.channelId);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(b);
    }
    const acks: Promise<unknown>[] = [];
    for (const [p, list] of byPartition) {
      for (const frame of encodeChunks(list, this.maxChunk)) acks.push(this.js.publish(this.conn.names.subject(p), frame));
    }
    const results = await Promise.allSettled(acks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new Error(`JetStream did not store the heartbeats: ${(failed.reason as Error)?.message ?? failed.reason}`);
  }

  async read(partition: number, handler: RecordHandler): Promise<LogReader> {
    const received = new Received();
    this.received.set(partition, received);
    const consumer = await this.js.consumers.get(this.conn.names.stream, { filterSubjects: this.conn.names.subject(partition) });
    const messages: ConsumerMessages = await consumer.consume({ max_bytes: READ_AHEAD_BYTES });
    const loop = (async () => {
      for await (const m of messages) {
        const record = toRecord(m);
        received.push(record.seq, maxMinuteOf(record.beats));
        handler(record);
      }
    })();
    const reader: LogReader = {
      stop: async () => {
        this.readers.delete(reader);
        if (this.received.get(partition) === received) this.received.delete(partition);
        messages.stop();
        await loop.catch(() => {});
      },
    };
    this.readers.add(reader);
    return reader;
  }

  async mark(partition: number, id: string): Promise<void> {
    const h = headers();
    h.set(MARK_HEADER, id);
    await this.js.publish(this.conn.names.subject(partition), new Uint8Array(0), { headers: h });
  }

  async release(partition: number, closedBefore: number): Promise<void> {
    const last = this.received.get(partition)?.shiftBefore(closedBefore);
    if (last === undefined) return;
    await this.conn.jsm.streams.purge(this.conn.names.stream, { filter: this.conn.names.subject(partition), seq: last + 1 });
  }

  /** Stops every reader; the connection belongs to the caller. */
  async close(): Promise<void> {
    await Promise.all([...this.readers].map((r) => r.stop()));
  }
}

function toRecord(m: JsMsg) {
  const mark = m.headers?.get(MARK_HEADER) || undefined;
  const beats: Heartbeat[] = [];
  if (!mark)
    for (const frame of decodeFrames(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength))) beats.push(...frame);
  // nanoseconds beyond 2^53 lose their last digits, far below the millisecond this needs
  return { seq: m.seq, storedAt: Math.floor(m.info.timestampNanos / 1e6), beats, mark };
}
