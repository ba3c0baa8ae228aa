/**
 * Writes curves on SQLite: the adapter side of ../curve-writes.ts (current curves through the curve cache,
 * rows upserted or deleted), the cache updated in place of what was written, and the change log recorded.
 *
 * Promise: called inside one write transaction (BEGIN IMMEDIATE), a batch's channel curves, user curves,
 * hour blocks and change-log entry commit together or not at all; if the transaction fails, every cell it
 * touched is dropped from the cache (and the open minutes are read again), so no rolled-back value is ever
 * served.
 *
 * Small batches are appended as open minutes (../open-minutes.ts) instead of rewriting day curves; foldOpen()
 * writes them into the day curves, user curves and hour blocks, reading and writing the stored rows directly
 * (the merged curves every cache holds do not change by a fold).
 */
import type Database from 'better-sqlite3';
import { setMinutes } from '../curve-patch.js';
import { writeGroups, type CurveIO } from '../curve-writes.js';
import { decodeValues, encodeValues, type CurveValues, type DayCurve } from '../day-curve.js';
import type { Cell, CellCurve, CellKind } from '../curve-cache.js';
import { MinuteBatch, type DayUpdates } from '../group-minutes.js';
import { BLOCK_DAYS, blockOf } from '../hour-blocks.js';
import { openRows, overlayHours, type OpenMinutes } from '../open-minutes.js';
import { encodeOpenRows } from '../open-rows-codec.js';
import { DAY_MINUTES } from '../../domain/calendar.js';
import { DAY_HOURS, HOUR_MINUTES } from '../../domain/peak-search.js';
import { invalidate, type ChangeKey } from './change-log.js';
import { cellCurve, raisedHours, type CurveReader } from './curve-reader.js';

/** Batches touching more channel-days than this do not fill the cache with what they write. */
export const WRITE_THROUGH_MAX_GROUPS = 20_000;

export class CurveWriter implements CurveIO {
  private keys: ChangeKey[] = [];
  private keep = true;
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly reader: CurveReader,
    private readonly ownerOf: (channelId: string) => string | undefined,
  ) {
    this.stmt = {
      ...putStatements(db),
      dropUserCurves: db.prepare('DELETE FROM user_curves WHERE user_id = ?'),
      dropUserBlocks: db.prepare('DELETE FROM user_hours WHERE user_id = ?'),
      appendOpen: db.prepare('INSERT INTO open_minutes (minutes) VALUES (?)'),
      dropOpen: db.prepare('DELETE FROM open_minutes WHERE seq <= ?'),
    };
    // a fold's new stored channel days replace the cached ones (channels' days are cached as stored): the push
    // after a fold reads none of its thousand channels again
    this.stored = new StoredCurves(db, ownerOf, (channelId, pullType, day, curve) =>
      this.replace('channel', channelId, day, pullType, curve),
    );
  }

  private readonly stored: StoredCurves;

  /**
   * Runs curve work inside the caller's write transaction: follows the change log first (so the cache is
   * current), records the touched cells last. `keep`: whether cells read for the work stay cached.
   */
  run<T>(keep: boolean, work: () => T): T {
    this.reader.sync();
    this.keys = [];
    this.keep = keep;
    const seen = this.reader.open.seen;
    try {
      const result = work();
      this.reader.log.record(this.keys);
      return result;
    } catch (e) {
      for (const [kind, id, day] of this.keys) invalidate(this.reader.cache, kind, id, day);
      // open rows added or forgotten by the rolled-back work: index them again from the database
      if (this.reader.open.seen !== seen || this.keys.some(([kind]) => kind[0] === 'f')) {
        this.reader.reindexOpen();
      }
      throw e;
    }
  }

  /**
   * A small batch as open minutes: one row per channel minute that changed and per owner's minute, cached
   * cells patched in place (user blocks raised where an open value passes the hour's bound). Returns the
   * rows appended.
   */
  appendOpen(groups: readonly DayUpdates[]): number {
    const rows = openRows(groups, this);
    if (rows.length === 0) return 0;
    // one row for the whole write: a few pages instead of one row (and index entry) per minute
    const seq = Number(this.stmt.appendOpen.run(encodeOpenRows(rows)).lastInsertRowid);
    // the change log names the users' days (cached merged) but not the channels' (cached as stored, unchanged)
    this.keys.push(['o', '', seq]);
    const open = this.reader.open;
    const cache = this.reader.cache;
    for (let i = 0; i < rows.length; ) {
      const { kind, id, pullType, minute } = rows[i]!;
      // channels' days stay cached as stored (../curve-reader.ts): their rows only go into the index
      if (kind === 'c') {
        open.add(seq, kind, id, pullType, minute, rows[i++]!.value);
        continue;
      }
      // users' days and blocks are patched, once per cell and pull type (those rows are adjacent: openRows
      // writes them so); plain arrays: typed ones cost an allocation of their own, a push has hundreds
      const day = Math.floor(minute / DAY_MINUTES);
      const base = day * DAY_MINUTES;
      const minutes: number[] = [];
      const values: number[] = [];
      for (; i < rows.length; i++) {
        const r = rows[i]!;
        if (r.id !== id || r.kind !== kind || r.pullType !== pullType || r.minute < base || r.minute >= base + DAY_MINUTES) break;
        minutes.push(r.minute - base);
        values.push(r.value);
      }
      open.set(seq, kind, id, pullType, day, minutes, values);
      this.keys.push([kind, id, day]);
      const cached = cache.peek('user', id, day);
      if (cached) this.replace('user', id, day, pullType, setMinutes(find(cached, pullType), minutes, values));
      this.raiseBlock(id, pullType, day, minutes, values);
    }
    return rows.length;
  }

  /** A cached block of the user raised where open values pass the hour's bound (the bound stays an upper bound). */
  private raiseBlock(userId: string, pullType: string, day: number, minutes: readonly number[], values: readonly number[]): void {
    const block = blockOf(day);
    const cached = this.reader.cache.peek('hours', userId, block);
    if (!cached) return;
    const curve = find(cached, pullType);
    const current = curve?.values;
    const at = (day - block * BLOCK_DAYS) * DAY_HOURS;
    let raise: Map<number, number> | undefined;
    for (let k = 0; k < minutes.length; k++) {
      const h = at + Math.floor(minutes[k]! / HOUR_MINUTES);
      const v = values[k]!;
      if (v > (current?.[h] ?? 0) && v > (raise?.get(h) ?? 0)) (raise ??= new Map()).set(h, v);
    }
    if (!raise) return;
    // the cached block patched where it rose (cells are never changed in place: a new one replaces it)
    if (curve?.hours) this.install('hours', userId, block, cached, raisedHours(curve, raise));
    else this.replace('hours', userId, block, pullType, { off: 0, values: overlayHours(current, raise)! });
  }

  /** Counts folds of everything, so a fold in slices knows when one overtook it. */
  folds = 0;

  /**
   * One slice of a fold: the open minutes of these channels written into the stored curves, blocks and their
   * owners' curves (the deltas add up, so an owner's channels may fold in different slices), the open rows
   * kept: the merged curves do not change when their stored part catches up. Channels' stored days cached
   * here are replaced by the new ones, elsewhere dropped.
   */
  foldChannels(channelIds: readonly string[]): void {
    const open = this.reader.open;
    const batch = new MinuteBatch();
    for (const id of channelIds) for (const row of open.rows('c', id)) batch.add(id, row.pullType, row.minute, row.value);
    // other connections drop the channels' days; this one's cache gets the new ones (keys first: a slice that
    // fails midway drops them through these)
    for (const id of channelIds) this.keys.push(['c', id, -1]);
    if (batch.rows > 0) writeGroups(batch.groups(), this.stored);
  }

  /**
   * Ends a fold in slices begun when the index held rows up to `through` (every channel with open rows then
   * has been folded since): deletes those rows; the index forgets what they wrote (other connections do the same
   * on the change log's `fa` entry).
   */
  finishFold(through: number): void {
    this.stmt.dropOpen.run(through);
    this.keys.push(['fa', '', through]);
    this.reader.finishFold(through);
  }

  /**
   * Folds every open minute into the stored curves and blocks (through the direct write path, on the stored
   * rows), deletes them, and records the fold for the other connections. Returns the minutes folded.
   */
  foldOpen(): number {
    const open = this.reader.open;
    if (open.size === 0) return 0;
    this.folds++;
    const through = open.seen;
    const folded = open.size;
    const batch = new MinuteBatch();
    const channels = open.ids('c');
    const users = open.ids('u');
    for (const id of channels) for (const row of open.rows('c', id)) batch.add(id, row.pullType, row.minute, row.value);
    if (batch.rows > 0) writeGroups(batch.groups(), this.stored);
    this.stmt.dropOpen.run(through);
    for (const id of channels) {
      open.drop('c', id);
      this.keys.push(['fc', id, through]);
      this.reader.cache.invalidate('channel', id);
    }
    for (const id of users) {
      open.drop('u', id);
      this.keys.push(['fu', id, through]);
      // the cached blocks may be raised bounds: read them exact again
      this.reader.cache.invalidate('hours', id);
    }
    return folded;
  }

  /** The open minutes of this connection's snapshot (what appendOpen compares channels with). */
  get open(): OpenMinutes {
    return this.reader.open;
  }

  /** Deletes a user's curves and blocks (the user is removed; its channels keep theirs). */
  dropUser(userId: string): void {
    this.stmt.dropUserCurves.run(userId);
    this.stmt.dropUserBlocks.run(userId);
    this.keys.push(['u', userId, -1]);
    invalidate(this.reader.cache, 'u', userId, -1);
  }

  owner(channelId: string): string | undefined {
    return this.ownerOf(channelId);
  }

  channelCurve(channelId: string, pullType: string, day: number): DayCurve | undefined {
    return find(this.reader.cell('channel', channelId, day, this.keep, false), pullType);
  }

  userCurve(userId: string, pullType: string, day: number): DayCurve | undefined {
    return find(this.reader.cell('user', userId, day, this.keep, false), pullType);
  }

  block(userId: string, pullType: string, block: number): CurveValues | undefined {
    return find(this.reader.cell('hours', userId, block, this.keep, false), pullType)?.values;
  }

  putChannel(channelId: string, pullType: string, day: number, curve: DayCurve | undefined): void {
    if (curve) this.stmt.channel.put.run(channelId, day, pullType, curve.off, encodeValues(curve.values));
    else this.stmt.channel.del.run(channelId, day, pullType);
    this.replace('channel', channelId, day, pullType, curve);
    this.keys.push(['c', channelId, day]);
  }

  putUser(userId: string, pullType: string, day: number, curve: DayCurve | undefined): void {
    if (curve) this.stmt.user.put.run(userId, day, pullType, curve.off, encodeValues(curve.values));
    else this.stmt.user.del.run(userId, day, pullType);
    this.replace('user', userId, day, pullType, curve);
    this.keys.push(['u', userId, day]);
  }

  putBlock(userId: string, pullType: string, block: number, values: CurveValues | undefined): void {
    if (values) this.stmt.putBlock.run(userId, block, pullType, encodeValues(values));
    else this.stmt.delBlock.run(userId, block, pullType);
    this.replace('hours', userId, block, pullType, values && { off: 0, values });
  }

  /** A cached cell gets a new cell with one pull type replaced (cells are never mutated: readers may hold them). */
  private replace(kind: CellKind, id: string, n: number, pullType: string, curve: DayCurve | undefined): void {
    const old = this.reader.cache.peek(kind, id, n);
    if (!old) return;
    if (curve) this.install(kind, id, n, old, cellCurve(kind, n, pullType, curve.off, curve.values));
    else
      this.reader.cache.set(
        kind,
        id,
        n,
        old.filter((c) => c.pullType !== pullType),
      );
  }

  /** A cached cell with one pull type's curve replaced by `curve`. */
  private install(kind: CellKind, id: string, n: number, old: Cell, curve: CellCurve): void {
    const next: CellCurve[] = [];
    for (const c of old) if (c.pullType !== curve.pullType) next.push(c);
    next.push(curve);
    this.reader.cache.set(kind, id, n, next);
  }
}

/** Upserts and deletes of curve rows and blocks. */
function putStatements(db: Database.Database) {
  const curve = (table: string, id: string) => ({
    put: db.prepare(
      `INSERT INTO ${table} (${id}, day, pull_type, off, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (${id}, day, pull_type) DO UPDATE SET off = excluded.off, data = excluded.data`,
    ),
    del: db.prepare(`DELETE FROM ${table} WHERE ${id} = ? AND day = ? AND pull_type = ?`),
  });
  return {
    channel: curve('channel_curves', 'channel_id'),
    user: curve('user_curves', 'user_id'),
    putBlock: db.prepare(
      `INSERT INTO user_hours (user_id, block, pull_type, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, block, pull_type) DO UPDATE SET data = excluded.data`,
    ),
    delBlock: db.prepare('DELETE FROM user_hours WHERE user_id = ? AND block = ? AND pull_type = ?'),
  };
}

/** The stored rows themselves, without open minutes or cache: what a fold reads and writes. */
class StoredCurves implements CurveIO {
  private readonly get;

  private readonly stmt;

  constructor(
    db: Database.Database,
    readonly owner: (channelId: string) => string | undefined,
    /** told each channel day written */
    private readonly onChannel: (channelId: string, pullType: string, day: number, curve: DayCurve | undefined) => void,
  ) {
    this.stmt = putStatements(db);
    const one = (table: string, id: string) =>
      db.prepare(`SELECT off, data FROM ${table} WHERE ${id} = ? AND day = ? AND pull_type = ?`).raw();
    this.get = {
      channel: one('channel_curves', 'channel_id'),
      user: one('user_curves', 'user_id'),
      block: db.prepare('SELECT data FROM user_hours WHERE user_id = ? AND block = ? AND pull_type = ?').pluck(),
    };
  }

  channelCurve(channelId: string, pullType: string, day: number): DayCurve | undefined {
    return curveOf(this.get.channel.get(channelId, day, pullType) as [number, Buffer] | undefined);
  }

  userCurve(userId: string, pullType: string, day: number): DayCurve | undefined {
    return curveOf(this.get.user.get(userId, day, pullType) as [number, Buffer] | undefined);
  }

  block(userId: string, pullType: string, block: number): CurveValues | undefined {
    const data = this.get.block.get(userId, block, pullType) as Buffer | undefined;
    return data && decodeValues(data);
  }

  putChannel(channelId: string, pullType: string, day: number, curve: DayCurve | undefined): void {
    if (curve) this.stmt.channel.put.run(channelId, day, pullType, curve.off, encodeValues(curve.values));
    else this.stmt.channel.del.run(channelId, day, pullType);
    this.onChannel(channelId, pullType, day, curve);
  }

  putUser(userId: string, pullType: string, day: number, curve: DayCurve | undefined): void {
    if (curve) this.stmt.user.put.run(userId, day, pullType, curve.off, encodeValues(curve.values));
    else this.stmt.user.del.run(userId, day, pullType);
  }

  putBlock(userId: string, pullType: string, block: number, values: CurveValues | undefined): void {
    if (values) this.stmt.putBlock.run(userId, block, pullType, encodeValues(values));
    else this.stmt.delBlock.run(userId, block, pullType);
  }
}

const curveOf = (row: [number, Buffer] | undefined): DayCurve | undefined => row && { off: row[0], values: decodeValues(row[1]) };

function find(cell: Cell, pullType: string): CellCurve | undefined {
  for (const c of cell) if (c.pullType === pullType) return c;
  return undefined;
}
