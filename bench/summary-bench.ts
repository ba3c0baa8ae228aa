/**
 * Summary latency of the real service path (src/service/summary.ts, what the endpoint runs after
 * authentication) on each store, against the plain SQL GROUP BY in DuckDB and SQLite on the same data.
 * Also checks the engines agree on every pull type's peak value and minute, and throws if they do not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config/config.js';
import { signedCaller } from '../src/service/signed.js';
import type { SummaryItem } from '../src/service/summary.js';
import type { App, Store } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { minuteRange, userId, type DatasetSpec } from './dataset.js';
import { DuckdbSink, loadAll, SqliteRowsSink, StoreSink, type Sink } from './load.js';
import { openPostgresStore } from './postgres.js';
import { assertSameAnswers, duckdbPeaks, sqlitePeaks, type PeakAnswer } from './references.js';
import { fmtInt, fmtMs, fmtRatio, peakRssMiB, timeRuns, type Timing } from './stats.js';
import { table } from './table.js';

export interface Loaded {
  spec: DatasetSpec;
  config: Config;
  rows: number;
  stores: { name: string; store: Store; app: App }[];
  duckdb: DuckdbSink;
  sqliteRows: SqliteRowsSink;
  loadTable: string;
  close(): Promise<void>;
}

export async function loadDataset(spec: DatasetSpec, log: (s: string) => void): Promise<Loaded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `live-ccv-bench-${spec.name}-`));
  const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', demo: false });
  const storeSinks = [new StoreSink('live-ccv sqlite', new SqliteStore(path.join(dir, 'store.sqlite')), spec)];
  const pg = await openPostgresStore(spec.name, log);
  if (pg) storeSinks.push(new StoreSink('live-ccv postgres', pg.store, spec));
  for (const s of storeSinks) await s.init();
  const duckdb = await DuckdbSink.open();
  const sqliteRows = new SqliteRowsSink(path.join(dir, 'rows.sqlite'));
  const sinks: Sink[] = [...storeSinks, duckdb, sqliteRows];
  log(
    `loading ${spec.name}: ${spec.users} users x ${spec.channelsPerUser} channels x ${spec.days} days (${spec.dense ? 'every minute' : 'sparse'}) ...`,
  );
  const rows = await loadAll(spec, sinks);
  const loadTable = table(
    ['engine', 'load time (s)', 'rows/s'],
    sinks.map((s) => [s.name, (s.ms / 1000).toFixed(1), fmtInt(rows / (s.ms / 1000))]),
  );
  log(`loaded ${fmtInt(rows)} non-zero minute rows; peak RSS ${peakRssMiB().toFixed(0)} MiB\n${loadTable}`);
  // The same file read without the decoded-curve cache: what a query costs when its months are not hot.
  const uncached = new SqliteStore(path.join(dir, 'store.sqlite'), { cacheBytes: 0 });
  const stores = storeSinks.map((s) => ({ name: s.name, store: s.store, app: s.app! }));
  stores.splice(1, 0, { name: 'live-ccv sqlite, curve cache off', store: uncached, app: storeSinks[0]!.app! });
  return {
    spec,
    config,
    rows,
    stores,
    duckdb,
    sqliteRows,
    loadTable,
    close: async () => {
      for (const s of stores) await s.store.close();
      sqliteRows.db.close();
      duckdb.connection.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
      await pg?.drop();
    },
  };
}

export interface Query {
  users: string[];
  start: string;
  end: string;
  from: number;
  to: number;
}

/** The first `users` users over the first `days` days of the dataset. */
export function query(spec: DatasetSpec, users: number, days: number): Query {
  const sub = { ...spec, days };
  const { from, to } = minuteRange(sub);
  const day = (n: number) => new Date(Date.UTC(spec.start.y, spec.start.m - 1, spec.start.d + n)).toISOString().slice(0, 10);
  return { users: Array.from({ length: users }, (_, u) => userId(spec, u)), start: day(0), end: day(days - 1), from, to };
}

export interface EngineTiming {
  engine: string;
  timing: Timing;
  answer: PeakAnswer[];
}

export async function timeEngines(
  loaded: Loaded,
  q: Query,
  runs: number,
  refRuns: number,
  withSqliteRows = true,
): Promise<EngineTiming[]> {
  const out: EngineTiming[] = [];
  const params = { users: q.users.join(','), start: q.start, end: q.end };
  for (const s of loaded.stores) {
    const call = signedCaller({ store: s.store, config: loaded.config });
    const { timing, result } = await timeRuns(runs, () => call('summary', s.app, params) as Promise<SummaryItem[]>);
    out.push({ engine: s.name, timing, answer: result });
  }
  const duck = await timeRuns(refRuns, () => duckdbPeaks(loaded.duckdb.connection, q.users, q.from, q.to), 1);
  out.push({ engine: 'duckdb GROUP BY', timing: duck.timing, answer: duck.result });
  if (withSqliteRows) {
    const lite = await timeRuns(Math.min(refRuns, 3), () => sqlitePeaks(loaded.sqliteRows.db, q.users, q.from, q.to), 1);
    out.push({ engine: 'sqlite GROUP BY', timing: lite.timing, answer: lite.result });
  }
  assertSameAnswers(
    `${loaded.spec.name} ${q.users.length} users ${q.start}..${q.end}`,
    Object.fromEntries(out.map((e) => [e.engine, e.answer])),
  );
  return out;
}

export interface SummaryFigures {
  table: string;
  /** live-ccv sqlite p50 (ms) and its speed-up over DuckDB's p50 */
  p50: number;
  vsDuckdb: number;
  answer: PeakAnswer[];
}

export async function summaryBench(
  loaded: Loaded,
  runs: number,
  refRuns: number,
  log: (s: string) => void,
): Promise<SummaryFigures> {
  const { spec } = loaded;
  const q = query(spec, spec.users, spec.days);
  log(`summary: ${q.users.length} users, ${q.start}..${q.end} (${spec.days} days), ${runs} runs (references ${refRuns}) ...`);
  const results = await timeEngines(loaded, q, runs, refRuns);
  const ours = results[0]!;
  const duck = results.find((r) => r.engine.startsWith('duckdb'))!;
  const rows = results.map((r) => [
    r.engine,
    fmtMs(r.timing.p50),
    fmtMs(r.timing.p99),
    String(r.timing.runs),
    fmtRatio(r.timing.p50 / ours.timing.p50),
  ]);
  const t = table(['engine', 'p50 ms', 'p99 ms', 'runs', 'p50 / live-ccv sqlite'], rows);
  const answer = ours.answer.map((a) => `${a.pullType} ${a.peakCCV} at ${new Date(a.statAt).toISOString()}`).join('; ');
  log(`${t}\nall engines agree: ${answer}; peak RSS ${peakRssMiB().toFixed(0)} MiB`);
  return { table: t, p50: ours.timing.p50, vsDuckdb: duck.timing.p50 / ours.timing.p50, answer: ours.answer };
}
