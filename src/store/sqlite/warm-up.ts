/**
 * Warming a query thread's code before it answers: V8 runs a function's first calls in its interpreter and
 * optimises it only once it has run enough, so the first summary after a restart would otherwise pay for the
 * cold code on the request path (several times the time of the same call warm). A query thread therefore runs
 * the summary's own code, the very CurveReader, PeakSearch, cache and codec, on a small synthetic store in
 * memory before it reports ready (./query-worker.ts).
 *
 * Promise: the warm-up touches nothing of the real store. It has its own in-memory database and its own
 * caches, thrown away afterwards, so it cannot change an answer; it only makes the code that computes it hot.
 */
import Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import { HOUR_MINUTES } from '../../domain/peak-search.js';
import { CurveCache } from '../curve-cache.js';
import { encodeValues, fromFull } from '../day-curve.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from '../hour-blocks.js';
import { MIGRATIONS } from '../migrations.js';
import { CurveReader, type PeaksResult } from './curve-reader.js';
import { Random } from '../../sim/random.js';

const USERS = 48;
const DAYS = 40;
/** A day whose 40 days cross a block boundary (as most real ranges do): day 19,712 starts a block. */
const FIRST_DAY = 19_712 - 8;
/** Rounds of a cold search (every cell read from the database) followed by a warm one (every cell cached). */
const ROUNDS = 12;
const CACHE_BYTES = 16 * 1024 * 1024;

interface WarmUpQuery {
  ids: readonly string[];
  from: number;
  to: number;
}

/**
 * The synthetic store: users live a few hours most days (sparse blocks) and a few around the clock (dense
 * blocks), audiences in all three value widths of the codec, two pull types; and the summaries asked of it:
 * every user over a range crossing the block boundary (asked twice: cold, then from the cache) and half of
 * them over part of it (partly cached).
 */
export function syntheticStore(): { db: Database.Database; queries: WarmUpQuery[] } {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) for (const sql of m.sql.sqlite) db.exec(sql);
  const putDay = db.prepare('INSERT INTO user_curves (user_id, day, pull_type, off, data) VALUES (?, ?, ?, ?, ?)');
  const putBlock = db.prepare('INSERT INTO user_hours (user_id, block, pull_type, data) VALUES (?, ?, ?, ?)');
  // a fixed sequence, so every thread warms on the same data
  const random = new Random(0x3a7);
  const next = () => random.next();
  const ids: string[] = [];
  const full = new Float64Array(DAY_MINUTES);
  db.transaction(() => {
    for (let u = 0; u < USERS; u++) {
      const id = `warm-up-${u}`;
      ids.push(id);
      const allDay = u % 8 === 0;
      const audience = [40, 3_000, 90_000][u % 3]!;
      for (const pullType of u % 4 === 1 ? ['cdn', 'rtc'] : ['cdn']) {
        const blocks = new Map<number, Map<number, Uint32Array>>();
        for (let day = FIRST_DAY; day < FIRST_DAY + DAYS; day++) {
          if (!allDay && next() < 0.2) continue;
          full.fill(0);
          const start = allDay ? 0 : Math.floor((10 + 12 * next()) * HOUR_MINUTES);
          const length = allDay ? DAY_MINUTES : Math.floor((1 + 4 * next()) * HOUR_MINUTES);
          for (let m = start; m < Math.min(start + length, DAY_MINUTES); m++)
            full[m] = Math.max(1, Math.round(audience * (0.5 + next())));
          const curve = fromFull(full);
          if (!curve) continue;
          putDay.run(id, day, pullType, curve.off, encodeValues(curve.values));
          const block = blockOf(day);
          let days = blocks.get(block);
          if (!days) blocks.set(block, (days = new Map()));
          days.set(day - block * BLOCK_DAYS, dayMaxima(curve));
        }
        for (const [block, days] of blocks) {
          const values = patchBlock(undefined, days);
          if (values) putBlock.run(id, block, pullType, encodeValues(values));
        }
      }
    }
  })();
  const from = FIRST_DAY * DAY_MINUTES + 7 * HOUR_MINUTES;
  const to = (FIRST_DAY + DAYS) * DAY_MINUTES - 5 * HOUR_MINUTES;
  const all = { ids, from, to };
  return { db, queries: [all, all, { ids: ids.slice(0, USERS / 2), from: from + DAY_MINUTES, to: to - 3 * DAY_MINUTES }] };
}

/**
 * Runs the summary's code on the synthetic store until V8 has optimised it, each round with an empty cache.
 * Returns the last round's answers to the store's queries, for tests (every round answers the same).
 */
export function warmUp(rounds = ROUNDS): PeaksResult[] {
  const { db, queries } = syntheticStore();
  try {
    let answers: PeaksResult[] = [];
    for (let r = 0; r < rounds; r++) {
      const reader = new CurveReader(db, new CurveCache(CACHE_BYTES, 'warm-up'));
      answers = queries.map((q) => reader.userPeaks(q.ids, q.from, q.to));
    }
    return answers;
  } finally {
    db.close();
  }
}
