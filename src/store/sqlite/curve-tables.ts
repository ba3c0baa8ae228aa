/**
 * The SQLite tables of curves: day curves of channels and users (one row per UTC day and pull type, the
 * codec of ../day-curve.ts), blocks of users' hour maxima (../hour-blocks.ts) and the change log that lets
 * other connections invalidate exactly what a write touched (./change-log.ts).
 */
import type Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import { decodeValues, encodeValues } from '../day-curve.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from '../hour-blocks.js';
import type { CurveValues } from '../day-curve.js';

export const CURVE_SCHEMA = `
CREATE TABLE IF NOT EXISTS channel_curves (
  channel_id TEXT NOT NULL, day INTEGER NOT NULL, pull_type TEXT NOT NULL, off INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (channel_id, day, pull_type));
CREATE TABLE IF NOT EXISTS user_curves (
  user_id TEXT NOT NULL, day INTEGER NOT NULL, pull_type TEXT NOT NULL, off INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (user_id, day, pull_type));
CREATE TABLE IF NOT EXISTS user_hours (
  user_id TEXT NOT NULL, block INTEGER NOT NULL, pull_type TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (user_id, block, pull_type));
CREATE TABLE IF NOT EXISTS curve_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, keys TEXT NOT NULL);
`;

/**
 * Creates the curve tables; a store written before hour blocks existed gets them computed from its user
 * curves once, in the same transaction, so its first summary is already exact.
 */
export function createCurveTables(db: Database.Database): void {
  db.transaction(() => {
    const hadBlocks = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'user_hours'").get() !== undefined;
    db.exec(CURVE_SCHEMA);
    if (!hadBlocks) backfillBlocks(db);
  }).immediate();
}

function backfillBlocks(db: Database.Database): void {
  // user by user: better-sqlite3 cannot write while a read iterates, and a whole store may not fit in memory
  const users = db.prepare('SELECT DISTINCT user_id FROM user_curves').pluck().all() as string[];
  const read = db.prepare('SELECT pull_type, day, off, data FROM user_curves WHERE user_id = ?').raw();
  const put = db.prepare('INSERT INTO user_hours (user_id, block, pull_type, data) VALUES (?, ?, ?, ?)');
  for (const user of users) {
    const blocks = new Map<string, { pullType: string; block: number; days: Map<number, Uint32Array> }>();
    for (const [pullType, day, off, data] of read.all(user) as [string, number, number, Buffer][]) {
      const block = blockOf(day);
      const k = `${pullType}\u0000${block}`;
      let b = blocks.get(k);
      if (!b) blocks.set(k, (b = { pullType, block, days: new Map() }));
      b.days.set(day - block * BLOCK_DAYS, dayMaxima({ off, values: decodeValues(data) }));
    }
    for (const b of blocks.values()) {
      const values: CurveValues | undefined = patchBlock(undefined, b.days);
      if (values) put.run(user, b.block, b.pullType, encodeValues(values));
    }
  }
}

/** UTC day range [first, last] covering the epoch-minute range [from, to). */
export function dayRange(from: number, to: number): { first: number; last: number } {
  return { first: Math.floor(from / DAY_MINUTES), last: Math.floor((to - 1) / DAY_MINUTES) };
}
