/**
 * Writes curves on SQLite: the adapter side of ../curve-writes.ts (current curves through the curve cache,
 * rows upserted or deleted), the cache updated in place of what was written, and the change log recorded.
 *
 * Promise: called inside one write transaction (BEGIN IMMEDIATE), a batch's channel curves, user curves,
 * hour blocks and change-log entry commit together or not at all; if the transaction fails, every cell it
 * touched is dropped from the cache, so no rolled-back value is ever served.
 */
import type Database from 'better-sqlite3';
import type { CurveIO } from '../curve-writes.js';
import { encodeValues, type CurveValues, type DayCurve } from '../day-curve.js';
import type { Cell, CellKind } from '../curve-cache.js';
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
    const curve = (table: string, id: string) => ({
      put: db.prepare(
        `INSERT INTO ${table} (${id}, day, pull_type, off, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (${id}, day, pull_type) DO UPDATE SET off = excluded.off, data = excluded.data`,
      ),
      del: db.prepare(`DELETE FROM ${table} WHERE ${id} = ? AND day = ? AND pull_type = ?`),
    });
    this.stmt = {
      channel: curve('channel_curves', 'channel_id'),
      user: curve('user_curves', 'user_id'),
      putBlock: db.prepare(
        `INSERT INTO user_hours (user_id, block, pull_type, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, block, pull_type) DO UPDATE SET data = excluded.data`,
      ),
      delBlock: db.prepare('DELETE FROM user_hours WHERE user_id = ? AND block = ? AND pull_type = ?'),
      dropUserCurves: db.prepare('DELETE FROM user_curves WHERE user_id = ?'),
      dropUserBlocks: db.prepare('DELETE FROM user_hours WHERE user_id = ?'),
    };
  }

  /**
   * Runs curve work inside the caller's write transaction: follows the change log first (so the cache is
   * current), records the touched cells last. `keep`: whether cells read for the work stay cached.
   */
  run<T>(keep: boolean, work: () => T): T {
    this.reader.log.follow(this.reader.cache);
    this.keys = [];
    this.keep = keep;
    try {
      const result = work();
      this.reader.log.record(this.keys);
      return result;
    } catch (e) {
      for (const [kind, id, day] of this.keys) invalidate(this.reader.cache, kind, id, day);
      throw e;
    }
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

function find(cell: Cell, pullType: string): DayCurve | undefined {
  for (const c of cell) if (c.pullType === pullType) return c;
  return undefined;
}
