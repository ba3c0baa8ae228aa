/**
 * The change log of curve writes: one row per write transaction listing the (kind, id, day) cells it touched,
 * numbered by a sequence. Every connection holding a curve cache (the server's main connection, each query
 * thread's, a CLI process's) follows it, so a write by any of them invalidates exactly the cells it touched
 * in all the others, instead of every cache being dropped whenever another connection commits.
 *
 * Promise: a connection that calls follow() inside a read (or write) transaction holds no cell older than
 * that transaction's snapshot. Rows are pruned to the last KEEP transactions; a follower that fell further
 * behind (asleep for a long time) cannot know what it missed and drops its whole cache instead, which is
 * always safe.
 */
import type Database from 'better-sqlite3';
import { blockOf } from '../hour-blocks.js';
import type { CurveCache } from '../curve-cache.js';

/**
 * kind: 'u' user curve day, 'c' channel curve day (day -1: every day of the id); 'fu', 'fc': the open minutes
 * of a user or channel were folded into its stored curves and deleted (../open-minutes.ts); 'fa' (id ''): a
 * fold in slices ended, every open row up to seq `day` deleted; 'o' (id ''): open rows were appended (their
 * seq `day`), which followers index after the log. An append names its users' days ('u') besides, not its
 * channels' days: connections cache channels' days as stored, which an append leaves as they were (a CDN's
 * push touches a thousand channels and a few hundred users).
 */
export type ChangeKey = [kind: 'u' | 'c' | 'fu' | 'fc' | 'fa' | 'o', id: string, day: number];

/** What follow() found: nothing new, entries applied, or too far behind (the cache was dropped). */
export type Followed = 'none' | 'some' | 'reset';

const KEEP = 20_000;
const PRUNE_EVERY = 256;
/** More entries than this behind: dropping the cache is cheaper than replaying them. */
const FOLLOW_LIMIT = 5_000;

export class ChangeLog {
  private seen: number;
  private readonly maxSeq: Database.Statement;
  private readonly since: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;

  constructor(db: Database.Database) {
    this.maxSeq = db.prepare('SELECT max(seq) FROM curve_changes').pluck();
    this.since = db.prepare('SELECT seq, keys FROM curve_changes WHERE seq > ? ORDER BY seq LIMIT ?').raw();
    this.insert = db.prepare('INSERT INTO curve_changes (keys) VALUES (?)');
    this.prune = db.prepare('DELETE FROM curve_changes WHERE seq <= ?');
    this.seen = this.last();
  }

  private last(): number {
    return (this.maxSeq.get() as number | null) ?? 0;
  }

  /**
   * Applies the changes committed since the last call to the cache, and hands folds to `onFold`. Cheap when
   * nothing changed (one query).
   */
  follow(cache: CurveCache, onFold?: (kind: 'fu' | 'fc' | 'fa', id: string, seq: number) => void): Followed {
    const last = this.last();
    if (last === this.seen) return 'none';
    const rows = last < this.seen ? [] : (this.since.all(this.seen, FOLLOW_LIMIT + 1) as [number, string][]);
    if (rows.length === 0 || rows[0]![0] !== this.seen + 1 || rows.length > FOLLOW_LIMIT) {
      cache.clear();
      this.seen = last;
      return 'reset';
    }
    for (const [seq, keys] of rows) {
      for (const [kind, id, day] of JSON.parse(keys) as ChangeKey[]) {
        if (kind === 'fc' || kind === 'fu' || kind === 'fa') onFold?.(kind, id, day);
        invalidate(cache, kind, id, day);
      }
      this.seen = seq;
    }
    return 'some';
  }

  /** Takes every entry so far as seen, for a connection that has dropped its cache. */
  skip(): void {
    this.seen = this.last();
  }

  /**
   * Records what the current write transaction touched. Call inside it, after follow(): the entry is this
   * connection's own, and its cache already reflects it.
   */
  record(keys: readonly ChangeKey[]): void {
    if (keys.length === 0) return;
    const seq = Number(this.insert.run(JSON.stringify(keys)).lastInsertRowid);
    this.seen = seq;
    if (seq % PRUNE_EVERY === 0) this.prune.run(seq - KEEP);
  }
}

export function invalidate(cache: CurveCache, kind: ChangeKey[0], id: string, day: number): void {
  // a fold leaves every merged curve as it was: the cache holds channels' days as stored (now changed) and
  // users' blocks as raised bounds (exact again from the stored ones)
  if (kind === 'fc') {
    cache.invalidate('channel', id);
    return;
  }
  if (kind === 'fa' || kind === 'o') return;
  if (kind === 'fu') {
    cache.invalidate('hours', id);
    return;
  }
  if (kind === 'c') {
    cache.invalidate('channel', id, day < 0 ? undefined : day);
    return;
  }
  cache.invalidate('user', id, day < 0 ? undefined : day);
  cache.invalidate('hours', id, day < 0 ? undefined : blockOf(day));
}
