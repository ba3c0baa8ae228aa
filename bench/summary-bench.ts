/**
 * Summary latency as a client sees it: signed GET calls over HTTP to the real server (`live-ccv serve`, query
 * threads and all) on the loaded data, warm (p50 of repeated calls) and cold (the first call after a restart,
 * the OS page cache warm), against DuckDB's warm p50 of the plain SQL GROUP BY over a row-per-minute table
 * of the same data, plus the engine alone in process (with what its search did) and, when configured, the
 * PostgreSQL store. Every answer is compared; any disagreement fails the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sign } from '../src/auth/sign.js';
import { loadConfig, type Config } from '../src/config/config.js';
import type { SearchStats } from '../src/domain/peak-search.js';
import { summary } from '@live-ccv/client/contract';
import { signedCaller } from '../src/service/signed.js';
import type { SummaryItem } from '../src/service/summary.js';
import { CurveCache } from '../src/store/curve-cache.js';
import type { App, Store } from '../src/store/port.js';
import { CurveReader } from '../src/store/sqlite/curve-reader.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { isSparseUser, minuteRange, userId, type DatasetSpec } from './dataset.js';
import { json } from './http.js';
import { DuckdbSink, loadAll, SqliteRowsSink, StoreSink, type Sink } from './load.js';
import { openPostgresStore } from './postgres.js';
import { assertSameAnswers, duckdbPeaks, sqlitePeaks, type PeakAnswer } from './references.js';
import { serve, type Served } from './serve.js';
import { fmtInt, fmtMs, fmtRatio, peakRssMiB, summarize, timeRuns, type Timing } from './stats.js';
import { table } from './table.js';

export interface Loaded {
  spec: DatasetSpec;
  config: Config;
  rows: number;
  /** data dir of the live-ccv store (live-ccv.sqlite), what `serve` opens */
  dir: string;
  store: SqliteStore;
  app: App;
  postgres: { store: Store; app: App } | undefined;
  duckdb: DuckdbSink;
  sqliteRows: SqliteRowsSink | undefined;
  loadTable: string;
  loadSeconds: Record<string, number>;
  close(): Promise<void>;
}

/**
 * Loads a dataset into the live-ccv store (bulk path), DuckDB (appender), optionally PostgreSQL and the
 * row-per-minute SQLite reference (`withSqliteRows`: slow; the smoke run keeps it exercised).
 */
export async function loadDataset(spec: DatasetSpec, log: (s: string) => void, withSqliteRows: boolean): Promise<Loaded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `live-ccv-bench-${spec.name}-`));
  const config = loadConfig({}, { dataDir: dir, logLevel: 'silent', demo: false });
  const store = new SqliteStore(path.join(dir, 'live-ccv.sqlite'), { queryThreads: 0 });
  const storeSinks = [new StoreSink('live-ccv sqlite', store, spec)];
  const pg = await openPostgresStore(spec.name, log);
  if (pg) storeSinks.push(new StoreSink('live-ccv postgres', pg.store, spec));
  for (const s of storeSinks) await s.init();
  const duckdb = await DuckdbSink.open();
  const sqliteRows = withSqliteRows ? new SqliteRowsSink(path.join(dir, 'rows.sqlite')) : undefined;
  const sinks: Sink[] = [...storeSinks, duckdb, ...(sqliteRows ? [sqliteRows] : [])];
  log(`loading ${spec.name}: ${spec.users} users x ${spec.days} days, ${spec.description} ...`);
  const rows = await loadAll(spec, sinks);
  const loadTable = table(
    ['engine', 'load time (s)', 'rows/s'],
    sinks.map((s) => [s.name, (s.ms / 1000).toFixed(1), fmtInt(rows / (s.ms / 1000))]),
  );
  log(`loaded ${fmtInt(rows)} non-zero minute rows; peak RSS ${peakRssMiB().toFixed(0)} MiB\n${loadTable}`);
  return {
    spec,
    config,
    rows,
    dir,
    store,
    app: storeSinks[0]!.app!,
    postgres: pg ? { store: pg.store, app: storeSinks[1]!.app! } : undefined,
    duckdb,
    sqliteRows,
    loadTable,
    loadSeconds: Object.fromEntries(sinks.map((s) => [s.name, s.ms / 1000])),
    close: async () => {
      await store.close();
      sqliteRows?.db.close();
      duckdb.connection.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
      await pg?.drop();
    },
  };
}

export interface Query {
  label: string;
  users: string[];
  days: number;
  start: string;
  end: string;
  from: number;
  to: number;
}

const dayText = (spec: DatasetSpec, n: number) =>
  new Date(Date.UTC(spec.start.y, spec.start.m - 1, spec.start.d + n)).toISOString().slice(0, 10);

/** The given users over the first `days` days of the dataset. */
export function query(spec: DatasetSpec, users: string[], days: number, label = `${users.length} users x ${days} days`): Query {
  const { from, to } = minuteRange({ ...spec, days });
  return { label, users, days, start: dayText(spec, 0), end: dayText(spec, days - 1), from, to };
}

const firstUsers = (spec: DatasetSpec, n: number) => Array.from({ length: n }, (_, u) => userId(spec, u));

/** The query sizes measured on a dataset; `target` marks the sizes the 20x-DuckDB target names. */
export function shapes(spec: DatasetSpec): (Query & { target: boolean })[] {
  const q = (users: string[], days: number, target = false, label?: string) => ({ ...query(spec, users, days, label), target });
  if (spec.name === 'medium') {
    const sparse: string[] = [];
    for (let u = 0; u < spec.users && sparse.length < 50; u++) if (isSparseUser(spec, u)) sparse.push(userId(spec, u));
    return [
      q(firstUsers(spec, 1), 1),
      q(firstUsers(spec, 10), 31),
      q(firstUsers(spec, 100), 31, true),
      q(firstUsers(spec, 300), 62, true),
      q(sparse, 62, false, `${sparse.length} sparse users x 62 days`),
    ];
  }
  if (spec.name === 'large') {
    return [q(firstUsers(spec, 100), 92), q(firstUsers(spec, 1000), 31), q(firstUsers(spec, 1000), 92, true)];
  }
  return [q(firstUsers(spec, 1), 1), q(firstUsers(spec, spec.users), spec.days)];
}

/** A signed GET path for the summary (fresh timestamp, no nonce). */
export function signedPath(app: Pick<App, 'appId' | 'appSecret'>, q: Query): string {
  const params: Record<string, string> = {
    appId: app.appId,
    timestamp: String(Date.now()),
    users: q.users.join(','),
    start: q.start,
    end: q.end,
  };
  return `${summary.path}?${new URLSearchParams({ ...params, sign: sign(params, app.appSecret) }).toString()}`;
}

/** One summary call over HTTP; the answer in the bench's comparable shape. */
export async function callSummary(url: string, signed: string): Promise<PeakAnswer[]> {
  const body = await json<{ code: number; message: string; data: PeakAnswer[] }>(url, signed);
  if (body.code !== 200) throw new Error(`summary call refused: ${body.code} ${body.message}`);
  return body.data.map((d) => ({ pullType: d.pullType, statAt: d.statAt, peakCCV: d.peakCCV }));
}

export interface ShapeFigures {
  query: Query & { target: boolean };
  warm: Timing;
  cold: Timing;
  engine: Timing;
  search: SearchStats;
  duckdb: Timing;
  postgres: Timing | undefined;
  sqliteRows: Timing | undefined;
  answer: PeakAnswer[];
}

export interface SummaryFigures {
  table: string;
  shapes: ShapeFigures[];
}

export async function summaryBench(
  loaded: Loaded,
  opts: { runs: number; refRuns: number; coldRuns: number },
  log: (s: string) => void,
): Promise<SummaryFigures> {
  const { spec } = loaded;
  const list = shapes(spec);
  const figures: ShapeFigures[] = [];
  // the engine alone, in this process, on its own connection: timing and what the search did
  const db = new Database(path.join(loaded.dir, 'live-ccv.sqlite'), { readonly: true });
  const engine = new CurveReader(db, new CurveCache(256 * 1024 * 1024, 'bench'));
  let server: Served | undefined = await serve(loaded.dir, {}, 'summary');
  try {
    for (const q of list) {
      log(`summary ${spec.name}: ${q.label} (warm over HTTP ${opts.runs} runs, cold ${opts.coldRuns} restarts) ...`);
      const answers: Record<string, PeakAnswer[]> = {};
      const url = server!.url;
      const warm = await timeRuns(opts.runs, () => callSummary(url, signedPath(loaded.app, q)));
      answers['live-ccv HTTP warm'] = warm.result;
      const inProcess = await timeRuns(opts.runs, () => engine.userPeaks(q.users, q.from, q.to));
      answers['live-ccv engine'] = inProcess.result.peaks.map((p) => ({
        pullType: p.key,
        statAt: p.minute * 60_000,
        peakCCV: String(p.value),
      }));
      const duck = await timeRuns(opts.refRuns, () => duckdbPeaks(loaded.duckdb.connection, q.users, q.from, q.to), 1);
      answers.duckdb = duck.result;
      let postgres: Timing | undefined;
      if (loaded.postgres) {
        const call = signedCaller({ store: loaded.postgres.store, config: loaded.config });
        const params = { users: q.users.join(','), start: q.start, end: q.end };
        const r = await timeRuns(
          Math.min(opts.runs, 5),
          () => call('summary', loaded.postgres!.app, params) as Promise<SummaryItem[]>,
          1,
        );
        postgres = r.timing;
        answers['live-ccv postgres'] = r.result;
      }
      let sqliteRows: Timing | undefined;
      if (loaded.sqliteRows) {
        const r = await timeRuns(Math.min(opts.refRuns, 3), () => sqlitePeaks(loaded.sqliteRows!.db, q.users, q.from, q.to), 1);
        sqliteRows = r.timing;
        answers['sqlite GROUP BY'] = r.result;
      }
      // cold: a fresh server process for each sample, its first summary call timed
      const coldSamples: number[] = [];
      for (let i = 0; i < opts.coldRuns; i++) {
        await server!.stop();
        server = undefined;
        server = await serve(loaded.dir, {}, 'summary');
        const signed = signedPath(loaded.app, q);
        const t0 = performance.now();
        answers[`live-ccv HTTP cold ${i + 1}`] = await callSummary(server.url, signed);
        coldSamples.push(performance.now() - t0);
      }
      assertSameAnswers(`${spec.name} ${q.label}`, answers);
      figures.push({
        query: q,
        warm: warm.timing,
        cold: summarize(coldSamples),
        engine: inProcess.timing,
        search: inProcess.result.search,
        duckdb: duck.timing,
        postgres,
        sqliteRows,
        answer: warm.result,
      });
      const f = figures.at(-1)!;
      log(
        `  warm p50 ${fmtMs(f.warm.p50)} ms, cold ${fmtMs(f.cold.p50)} ms, engine ${fmtMs(f.engine.p50)} ms, DuckDB ${fmtMs(f.duckdb.p50)} ms: ${fmtRatio(f.duckdb.p50 / f.warm.p50)} faster warm; search ${JSON.stringify(f.search)}`,
      );
    }
  } finally {
    await server?.stop();
    db.close();
  }
  const header = [
    'query',
    'HTTP warm p50 ms',
    'HTTP warm p99 ms',
    'HTTP cold ms',
    'engine p50 ms',
    'hours summed / days expanded / days with viewers',
    'DuckDB warm p50 ms',
    'DuckDB / warm',
    'cold / DuckDB',
  ];
  if (loaded.postgres) header.push('postgres p50 ms');
  if (loaded.sqliteRows) header.push('sqlite GROUP BY p50 ms');
  const rows = figures.map((f) => {
    const row = [
      f.query.label,
      fmtMs(f.warm.p50),
      fmtMs(f.warm.p99),
      fmtMs(f.cold.p50),
      fmtMs(f.engine.p50),
      `${f.search.visited} / ${f.search.expanded} / ${f.search.days}`,
      fmtMs(f.duckdb.p50),
      fmtRatio(f.duckdb.p50 / f.warm.p50),
      (f.cold.p50 / f.duckdb.p50).toFixed(2),
    ];
    if (loaded.postgres) row.push(fmtMs(f.postgres!.p50));
    if (loaded.sqliteRows) row.push(fmtMs(f.sqliteRows!.p50));
    return row;
  });
  const t = table(header, rows);
  log(t);
  return { table: t, shapes: figures };
}
