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
import type { Cell, CellKind } from '../curve-cache.js';
import { MinuteBatch, type DayUpdates } from '../group-minutes.js';
import { BLOCK_DAYS, blockOf } from '../hour-blocks.js';
import { openRows, overlayHours, type OpenRow } from '../open-minutes.js';
import { DAY_MINUTES } from '../../domain/calendar.js';
import { DAY_HOURS, HOUR_MINUTES } from '../../domain/peak-search.js';
import { invalidate, type ChangeKey } from './change-log.js';
import { cellCurve, type CurveReader } from './curve-reader.js';

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
      appendOpen: db.prepare('INSERT INTO open_minutes (kind, id, pull_type, minute, value) VALUES (?, ?, ?, ?, ?)'),
      dropOpen: db.prepare('DELETE FROM open_minutes WHERE seq <= ?'),
    };
    this.stored = new StoredCurves(db, ownerOf);
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
      if (this.reader.open.seen !== seen || this.keys.some(([kind]) => kind === 'fc' || kind === 'fu')) {
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
    const open = this.reader.open;
    // cell -> pull type -> rows, for the cached cells
    const cells = new Map<string, { kind: 'c' | 'u'; id: string; day: number; pulls: Map<string, OpenRow[]> }>();
    for (const r of rows) {
      const seq = Number(this.stmt.appendOpen.run(r.kind, r.id, r.pullType, r.minute, r.value).lastInsertRowid);
      const row = { ...r, seq };
      open.add(row);
      const day = Math.floor(r.minute / DAY_MINUTES);
      const k = `${r.kind}\u0000${r.id}\u0000${day}`;
      let cell = cells.get(k);
      if (!cell) {
        cells.set(k, (cell = { kind: r.kind, id: r.id, day, pulls: new Map() }));
        this.keys.push([r.kind, r.id, day]);
      }
      let list = cell.pulls.get(r.pullType);
      if (!list) cell.pulls.set(r.pullType, (list = []));
      list.push(row);
    }
    const cache = this.reader.cache;
    for (const { kind, id, day, pulls } of cells.values()) {
      const cellKind = kind === 'c' ? 'channel' : 'user';
      const cached = cache.peek(cellKind, id, day);
      if (cached) {
        for (const [pullType, list] of pulls) {
          const curve = find(cached, pullType);
          const minutes = list.map((r) => r.minute - day * DAY_MINUTES);
          const values = list.map((r) => r.value);
          this.replace(cellKind, id, day, pullType, setMinutes(curve, minutes, values));
        }
      }
      if (kind !== 'u') continue;
      const block = blockOf(day);
      const hours = cache.peek('hours', id, block);
      if (!hours) continue;
      for (const [pullType, list] of pulls) {
        const raise = new Map<number, number>();
        const at = (day - block * BLOCK_DAYS) * DAY_HOURS;
        for (const r of list) {
          const h = at + Math.floor((r.minute - day * DAY_MINUTES) / HOUR_MINUTES);
          if (r.value > (raise.get(h) ?? 0)) raise.set(h, r.value);
        }
        const current = find(cache.peek('hours', id, block) ?? [], pullType)?.values;
        let higher = !current;
        if (current) for (const [h, max] of raise) if (max > current[h]!) higher = true;
        if (higher) this.replace('hours', id, block, pullType, { off: 0, values: overlayHours(current, raise)! });
      }
    }
    return rows.length;
  }

  /**
   * Folds every open minute into the stored curves and blocks (through the direct write path, on the stored
   * rows), deletes them, and records the fold for the other connections. Returns the minutes folded.
   */
  foldOpen(): number {
    const open = this.reader.open;
    if (open.size === 0) return 0;
    const through = open.seen;
    const folded = open.size;
    const batch = new MinuteBatch();
    const channels = open.ids('c');
    const users = open.ids('u');
    for (const id of channels) for (const row of open.rows('c', id)) batch.add(id, row.pullType, row.minute, row.value);
    if (batch.rows > 0) writeGroups(batch.groups(), this.stored);
    this.stmt.dropOpen.run(through);
    for (const id of channels) {
      open.dropThrough('c', id, through);
      this.keys.push(['fc', id, through]);
    }
    for (const id of users) {
      open.dropThrough('u', id, through);
      this.keys.push(['fu', id, through]);
      // the cached blocks may be raised bounds: read them exact again
      this.reader.cache.invalidate('hours', id);
    }
    return folded;
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
    const cache = this.reader.cache;
    const old = cache.peek(kind, id, n);
    if (!old) return;
    const next: Cell = old.filter((c) => c.pullType !== pullType);
    cache.set(kind, id, n, curve ? [...next, cellCurve(kind, n, pullType, curve.off, curve.values)] : next);
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

const curveOf = (row: [number, Buffer] | undefined): DayCurve | undefined =>
  row && { off: row[0], values: decodeValues(row[1]) };

function find(cell: Cell, pullType: string): DayCurve | undefined {
  for (const c of cell) if (c.pullType === pullType) return c;
  return undefined;
}
