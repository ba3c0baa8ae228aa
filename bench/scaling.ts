/**
 * How the engine's latency grows with users and with days on one loaded dataset (in process, warm), with
 * DuckDB's GROUP BY on the same queries beside it, and how much of the range the search had to sum.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { CurveCache } from '../src/store/curve-cache.js';
import { CurveReader } from '../src/store/sqlite/curve-reader.js';
import { userId } from './dataset.js';
import { duckdbPeaks } from './references.js';
import { fmtMs, fmtRatio, timeRuns } from './stats.js';
import { query, type Loaded } from './summary-bench.js';
import { table } from './table.js';

function steps(max: number, fractions: readonly number[]): number[] {
  return [...new Set(fractions.map((f) => Math.max(1, Math.round(max * f))))];
}

export async function scalingBench(loaded: Loaded, runs: number, refRuns: number, log: (s: string) => void): Promise<string> {
  const { spec } = loaded;
  const shapes: [number, number][] = [
    ...steps(spec.users, [0.1, 0.25, 0.5, 1]).map((u): [number, number] => [u, spec.days]),
    ...steps(spec.days, [1 / spec.days, 0.25, 0.5]).map((d): [number, number] => [spec.users, d]),
  ];
  log(`scaling on ${spec.name}: ${shapes.length} query shapes, ${runs} runs each (DuckDB ${refRuns}) ...`);
  const db = new Database(path.join(loaded.dir, 'live-ccv.sqlite'), { readonly: true });
  const engine = new CurveReader(db, new CurveCache(256 * 1024 * 1024, 'scaling'));
  const rows: string[][] = [];
  try {
    for (const [users, days] of shapes) {
      const q = query(
        spec,
        Array.from({ length: users }, (_, u) => userId(spec, u)),
        days,
      );
      const ours = await timeRuns(runs, () => engine.userPeaks(q.users, q.from, q.to));
      const duck = await timeRuns(refRuns, () => duckdbPeaks(loaded.duckdb.connection, q.users, q.from, q.to), 1);
      const s = ours.result.search;
      rows.push([
        String(users),
        String(days),
        String(users * days),
        fmtMs(ours.timing.p50),
        ((ours.timing.p50 * 1000) / (users * days)).toFixed(2),
        `${s.visited} / ${s.expanded} / ${s.days}`,
        fmtMs(duck.timing.p50),
        fmtRatio(duck.timing.p50 / ours.timing.p50),
      ]);
    }
  } finally {
    db.close();
  }
  rows.sort((a, b) => Number(a[2]) - Number(b[2]));
  const t = table(
    [
      'users',
      'days',
      'user-days',
      'engine p50 ms',
      'µs per user-day',
      'hours summed / days expanded / days with viewers',
      'duckdb p50 ms',
      'duckdb / engine',
    ],
    rows,
  );
  log(t);
  return t;
}
