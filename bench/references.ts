/**
 * The straightforward SQL a user would write over a row-per-minute table for the summary: SUM per minute
 * and pull type, then the largest total per pull type, earliest minute on ties. Same text on both engines.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type Database from 'better-sqlite3';

export interface PeakAnswer {
  pullType: string;
  statAt: number;
  peakCCV: string;
}

function peakSql(userCount: number): string {
  const users = Array.from({ length: userCount }, () => '?').join(', ');
  return `
WITH per_minute AS (
  SELECT pull_type, minute, SUM(ccv) AS total
  FROM ccv
  WHERE minute >= ? AND minute < ? AND user_id IN (${users})
  GROUP BY pull_type, minute
), ranked AS (
  SELECT pull_type, minute, total,
         ROW_NUMBER() OVER (PARTITION BY pull_type ORDER BY total DESC, minute ASC) AS rn
  FROM per_minute
)
SELECT pull_type, minute, total FROM ranked WHERE rn = 1 AND total > 0 ORDER BY pull_type`;
}

const toAnswer = (pullType: unknown, minute: unknown, total: unknown): PeakAnswer => ({
  pullType: String(pullType),
  statAt: Number(minute) * 60_000,
  peakCCV: String(total),
});

export async function duckdbPeaks(
  conn: DuckDBConnection,
  users: readonly string[],
  from: number,
  to: number,
): Promise<PeakAnswer[]> {
  const reader = await conn.runAndReadAll(peakSql(users.length), [from, to, ...users]);
  return reader.getRowsJS().map(([p, m, t]) => toAnswer(p, m, t));
}

const sqliteStatements = new WeakMap<Database.Database, Map<number, Database.Statement>>();

export function sqlitePeaks(db: Database.Database, users: readonly string[], from: number, to: number): PeakAnswer[] {
  let byCount = sqliteStatements.get(db);
  if (!byCount) sqliteStatements.set(db, (byCount = new Map()));
  let stmt = byCount.get(users.length);
  if (!stmt) byCount.set(users.length, (stmt = db.prepare(peakSql(users.length)).raw()));
  return (stmt.all(from, to, ...users) as unknown[][]).map(([p, m, t]) => toAnswer(p, m, t));
}

/** Fails loudly when engines disagree on any pull type's peak value or minute. */
export function assertSameAnswers(what: string, answers: Record<string, readonly PeakAnswer[]>): void {
  const entries = Object.entries(answers);
  const [firstName, first] = entries[0] ?? ['', []];
  const show = (a: readonly PeakAnswer[]) =>
    JSON.stringify(a.map((x) => [x.pullType, x.peakCCV, new Date(x.statAt).toISOString()]));
  for (const [name, answer] of entries.slice(1)) {
    if (show(answer) !== show(first)) {
      throw new Error(`ANSWERS DISAGREE for ${what}:\n  ${firstName}: ${show(first)}\n  ${name}: ${show(answer)}`);
    }
  }
}
