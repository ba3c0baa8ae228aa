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
/**
 * Records a reader asks for ahead, per partition. Counted in messages, not bytes: with pulls bounded by bytes the
 * cluster bench saw readers stop receiving under load (docs/benchmarks.md, Cluster). A record is at most the max
 * payload, usually a few KB.
 */
const READ_AHEAD_MESSAGES = 64;

export interface JetStreamLogOptions {
  partitions: number;
  replicas: number;
  publishTimeoutMs: number;
  /** how long appends gather before their messages leave (0: until the end of the event loop's turn) */
  lingerMs?: number;
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

/** The beats one partition's next message(s) will carry, and the appends waiting for them. */
class Batch {
  readonly beats: Heartbeat[] = [];
  resolve!: () => void;
  reject!: (e: unknown) => void;
  readonly done = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });

  constructor() {
    // an append that finds the batch already failed still gets the rejection; none goes unobserved
    this.done.catch(() => {});
  }
}

export class JetStreamHeartbeatLog implements HeartbeatLog {
  readonly kind = 'jetstream';
  readonly partitions: number;
  private readonly js: JetStreamClient;
  private readonly received = new Map<number, Received>();
  private readonly readers = new Set<LogReader>();
  private readonly maxChunk: number;
  /** beats appended this turn of the event loop, per partition */
  private readonly batches = new Map<number, Batch>();
  private flushScheduled = false;
  private readonly lingerMs: number;

  private constructor(
    private readonly conn: ClusterConnection,
    options: JetStreamLogOptions,
  ) {
    this.partitions = options.partitions;
    this.lingerMs = options.lingerMs ?? 0;
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

  /**
   * Appends arriving in the same turn of the event loop (or within the linger) share their messages: each
   * partition's beats go out as one message (or a few, under the max payload), and every append resolves once
   * all the messages holding its beats are acknowledged. Beacons (one beat per request) thus cost JetStream one
   * message per partition per turn, not one per request.
   */
  append(beats: readonly Heartbeat[]): Promise<void> {
    const waits = new Set<Promise<void>>();
    for (const b of beats) {
      const p = this.partitionOf(b.channelId);
      let batch = this.batches.get(p);
      if (!batch) {
        this.batches.set(p, (batch = new Batch()));
        this.flushSoon();
      }
      batch.beats.push(b);
      waits.add(batch.done);
    }
    return Promise.all(waits).then(() => undefined);
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const flushAll = () => {
      this.flushScheduled = false;
      for (const p of [...this.batches.keys()]) this.flush(p);
    };
    if (this.lingerMs > 0) setTimeout(flushAll, this.lingerMs);
    else setImmediate(flushAll);
  }

  /** Publishes the partition's pending beats now (messages on one connection keep their order). */
  private flush(p: number): void {
    const batch = this.batches.get(p);
    if (!batch) return;
    this.batches.delete(p);
    const acks = encodeChunks(batch.beats, this.maxChunk).map((frame) => this.js.publish(this.conn.names.subject(p), frame));
    Promise.all(acks).then(batch.resolve, (e: unknown) =>
      batch.reject(new Error(`JetStream did not store the heartbeats: ${(e as Error)?.message ?? e}`)),
    );
  }

  async read(partition: number, handler: RecordHandler): Promise<LogReader> {
    const received = new Received();
    this.received.set(partition, received);
    const consumer = await this.js.consumers.get(this.conn.names.stream, { filterSubjects: this.conn.names.subject(partition) });
    const messages: ConsumerMessages = await consumer.consume({ max_messages: READ_AHEAD_MESSAGES });
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
    this.flush(partition); // beats appended before the mark go out before it
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
  return { seq: m.seq, storedAt: Math.floor(m.info.timestampNanos / 1e6), beats, mark, pending: m.info.pending };
}
