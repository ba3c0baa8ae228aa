/**
 * How summary latency grows with users and with days on one loaded dataset: the cost per user-day
 * should stay flat (linear in the data touched), with DuckDB's GROUP BY on the same queries beside it.
 */
import { query, timeEngines, type Loaded } from './summary-bench.js';
import { fmtMs, fmtRatio } from './stats.js';
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
  const rows: string[][] = [];
  for (const [users, days] of shapes) {
    const results = await timeEngines(loaded, query(spec, users, days), runs, refRuns, false);
    const ours = results[0]!.timing.p50;
    const duck = results.find((r) => r.engine.startsWith('duckdb'))!.timing.p50;
    rows.push([
      String(users),
      String(days),
      String(users * days),
      fmtMs(ours),
      ((ours * 1000) / (users * days)).toFixed(1),
      fmtMs(duck),
      fmtRatio(duck / ours),
    ]);
  }
  rows.sort((a, b) => Number(a[2]) - Number(b[2]));
  const t = table(
    ['users', 'days', 'user-days', 'live-ccv p50 ms', 'µs per user-day', 'duckdb p50 ms', 'duckdb / live-ccv'],
    rows,
  );
  log(t);
  return t;
}
