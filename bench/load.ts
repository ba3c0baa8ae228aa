/**
 * Loads one generated dataset into every engine under test in a single pass over the curves: the real
 * Store port (tenancy + setChannelMinutes in batches) and the row-per-minute reference tables a user would
 * build in DuckDB and SQLite. Each sink's own time is accumulated so load costs are reported per engine.
 */
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { MinuteBatch } from '../src/store/group-minutes.js';
import type { App, Store } from '../src/store/port.js';
import { Tenancy } from '../src/service/tenancy.js';
import { channels, curves, type ChannelCurve, type DatasetSpec } from './dataset.js';

export interface Sink {
  readonly name: string;
  /** milliseconds spent inside this sink */
  ms: number;
  add(curve: ChannelCurve): Promise<void>;
  finish(): Promise<void>;
}

/** Rows per write: what the bulk import writes at once (src/service/import-ccv.ts). */
const STORE_BATCH = 8_000_000;

/**
 * The real store: an application owning every user and channel, minutes written through the port's bulk
 * path (setMinuteBatch, as the CSV import does), 8M rows per transaction.
 */
export class StoreSink implements Sink {
  ms = 0;
  app: App | undefined;
  private batch = new MinuteBatch();

  constructor(
    readonly name: string,
    readonly store: Store,
    private readonly spec: DatasetSpec,
  ) {}

  async init(): Promise<App> {
    const t0 = performance.now();
    const tenancy = new Tenancy(this.store);
    const app = await tenancy.createApp({
      name: `bench ${this.spec.name}`,
      appId: `bench${this.spec.name}`,
      appSecret: 'bench-secret-0123456789abcdef',
    });
    const users = new Set<string>();
    for (const { userId, channelId } of channels(this.spec)) {
      if (!users.has(userId)) {
        users.add(userId);
        await tenancy.addUser(app.appId, userId);
      }
      await tenancy.addChannel(userId, channelId);
    }
    this.app = app;
    this.ms += performance.now() - t0;
    return app;
  }

  async add(curve: ChannelCurve): Promise<void> {
    const t0 = performance.now();
    const v = curve.values;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) this.batch.add(curve.channelId, curve.pullType, curve.from + i, v[i]!);
    if (this.batch.rows >= STORE_BATCH) await this.flush();
    this.ms += performance.now() - t0;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = new MinuteBatch();
    await this.store.setMinuteBatch(batch);
  }

  async finish(): Promise<void> {
    const t0 = performance.now();
    await this.flush();
    this.ms += performance.now() - t0;
  }
}

const ROW_TABLE =
  'ccv (user_id VARCHAR NOT NULL, channel_id VARCHAR NOT NULL, pull_type VARCHAR NOT NULL, minute INTEGER NOT NULL, ccv INTEGER NOT NULL)';

/** DuckDB in memory, filled with its appender (the fast bulk path DuckDB recommends). */
export class DuckdbSink implements Sink {
  readonly name = 'duckdb';
  ms = 0;
  private constructor(
    readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
  ) {}

  static async open(): Promise<DuckdbSink> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE ${ROW_TABLE}`);
    return new DuckdbSink(connection, await connection.createAppender('ccv'));
  }

  async add(curve: ChannelCurve): Promise<void> {
    const t0 = performance.now();
    const a = this.appender;
    const v = curve.values;
    for (let i = 0; i < v.length; i++) {
      if (v[i] === 0) continue;
      a.appendVarchar(curve.userId);
      a.appendVarchar(curve.channelId);
      a.appendVarchar(curve.pullType);
      a.appendInteger(curve.from + i);
      a.appendInteger(v[i]!);
      a.endRow();
    }
    this.ms += performance.now() - t0;
  }

  async finish(): Promise<void> {
    const t0 = performance.now();
    this.appender.flushSync();
    this.appender.closeSync();
    this.ms += performance.now() - t0;
  }
}

/**
 * SQLite, row per minute, as a user would set it up for this query: bulk insert in transactions, then a
 * covering index on (user_id, minute, pull_type, ccv) so the range filter per user is an index scan.
 */
export class SqliteRowsSink implements Sink {
  readonly name = 'sqlite-rows';
  ms = 0;
  readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private pending: ChannelCurve[] = [];
  private pendingRows = 0;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE ${ROW_TABLE}`);
    this.insert = this.db.prepare('INSERT INTO ccv VALUES (?, ?, ?, ?, ?)');
  }

  async add(curve: ChannelCurve): Promise<void> {
    this.pending.push(curve);
    this.pendingRows += curve.values.length;
    if (this.pendingRows >= 500_000) this.flush();
  }

  private flush(): void {
    const t0 = performance.now();
    const work = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    this.db.transaction(() => {
      for (const c of work) {
        const v = c.values;
        for (let i = 0; i < v.length; i++) if (v[i] !== 0) this.insert.run(c.userId, c.channelId, c.pullType, c.from + i, v[i]!);
      }
    })();
    this.ms += performance.now() - t0;
  }

  async finish(): Promise<void> {
    this.flush();
    const t0 = performance.now();
    this.db.exec('CREATE INDEX ccv_by_user_minute ON ccv (user_id, minute, pull_type, ccv); ANALYZE;');
    this.ms += performance.now() - t0;
  }
}

/** One pass over the dataset into every sink; returns the row count (non-zero minutes). */
export async function loadAll(spec: DatasetSpec, sinks: readonly Sink[]): Promise<number> {
  let rows = 0;
  for (const curve of curves(spec)) {
    for (const v of curve.values) if (v !== 0) rows++;
    for (const sink of sinks) await sink.add(curve);
  }
  for (const sink of sinks) await sink.finish();
  return rows;
}
