/**
 * The SQLite side of the curve tables (created by ../migrations.ts): filling the hour blocks of an older
 * store, and the day range of a read.
 */
import type Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import { decodeValues, encodeValues } from '../day-curve.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from '../hour-blocks.js';
import type { CurveValues } from '../day-curve.js';

/**
 * Computes the hour blocks of every user curve, for a store whose curves were written before blocks existed
 * (migration 2); does nothing when blocks are already there.
 */
export function backfillBlocks(db: Database.Database): void {
  if (db.prepare('SELECT 1 FROM user_hours LIMIT 1').get() !== undefined) return;
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
