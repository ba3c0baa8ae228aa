/**
 * How a batch of minute rows changes the stored curves, shared by every adapter: the adapter supplies the
 * current curves and persists what this module hands back, in one transaction.
 *
 * Promises:
 * - set, not add: a channel-day takes each minute's last row, and writing the same rows twice changes nothing;
 * - a user's curve stays the sum of its channels' (the per-minute change of each channel-day is added to its
 *   owner's day), and the user's hour blocks stay the hour maxima of its curves (./hour-blocks.ts);
 * - each channel-day, user-day and block is read once and written once per batch, whatever the row order:
 *   channel-days are visited sorted by (owner, pull type, day), so one user-day accumulator and one block
 *   accumulator are open at a time, and memory stays a few full-day arrays.
 */
import { DAY_MINUTES } from '../domain/calendar.js';
import { addInto, fromFull, toFull, type CurveValues, type DayCurve } from './day-curve.js';
import type { DayUpdates } from './group-minutes.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from './hour-blocks.js';

/** The adapter's side: current values (synchronous: an adapter pre-reads or reads through a cache) and writes. */
export interface CurveIO {
  channelCurve(channelId: string, pullType: string, day: number): DayCurve | undefined;
  /** the user owning the channel now, undefined for nobody's channel */
  owner(channelId: string): string | undefined;
  userCurve(userId: string, pullType: string, day: number): DayCurve | undefined;
  block(userId: string, pullType: string, block: number): CurveValues | undefined;
  /** undefined: the day became all zeros (delete the row) */
  putChannel(channelId: string, pullType: string, day: number, curve: DayCurve | undefined): void;
  putUser(userId: string, pullType: string, day: number, curve: DayCurve | undefined): void;
  putBlock(userId: string, pullType: string, block: number, values: CurveValues | undefined): void;
}

/** Collects the new maxima of user-days and writes each block once, when the next one starts. */
class BlockPatcher {
  private userId = '';
  private pullType = '';
  private block = Number.NaN;
  private days = new Map<number, Uint32Array>();

  constructor(private readonly io: CurveIO) {}

  add(userId: string, pullType: string, day: number, curve: DayCurve | undefined): void {
    const block = blockOf(day);
    if (userId !== this.userId || pullType !== this.pullType || block !== this.block) {
      this.flush();
      this.userId = userId;
      this.pullType = pullType;
      this.block = block;
    }
    this.days.set(day - block * BLOCK_DAYS, dayMaxima(curve));
  }

  flush(): void {
    if (this.days.size === 0) return;
    const current = this.io.block(this.userId, this.pullType, this.block);
    this.io.putBlock(this.userId, this.pullType, this.block, patchBlock(current, this.days));
    this.days = new Map();
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Applies grouped minute rows (see ./group-minutes.ts); returns what was written. */
export function writeGroups(groups: readonly DayUpdates[], io: CurveIO): { channelDays: number; userDays: number } {
  const owners = new Map<string, string | undefined>();
  const ownerOf = (channelId: string) => {
    if (!owners.has(channelId)) owners.set(channelId, io.owner(channelId));
    return owners.get(channelId);
  };
  const order = groups.map((g, i) => ({ i, owner: ownerOf(g.channelId) ?? '' }));
  order.sort(
    (a, b) =>
      compare(a.owner, b.owner) ||
      compare(groups[a.i]!.pullType, groups[b.i]!.pullType) ||
      groups[a.i]!.day - groups[b.i]!.day ||
      a.i - b.i,
  );

  const full = new Float64Array(DAY_MINUTES);
  const before = new Float64Array(DAY_MINUTES);
  const delta = new Float64Array(DAY_MINUTES);
  const userFull = new Float64Array(DAY_MINUTES);
  const blocks = new BlockPatcher(io);
  let channelDays = 0;
  let userDays = 0;
  // the user-day whose delta is accumulating
  let open: { userId: string; pullType: string; day: number } | undefined;
  let dirty = false;

  const closeUserDay = () => {
    if (open && dirty) {
      toFull(io.userCurve(open.userId, open.pullType, open.day), userFull);
      for (let m = 0; m < DAY_MINUTES; m++) userFull[m]! += delta[m]!;
      const next = fromFull(userFull);
      io.putUser(open.userId, open.pullType, open.day, next);
      blocks.add(open.userId, open.pullType, open.day, next);
      userDays++;
      delta.fill(0);
    }
    open = undefined;
    dirty = false;
  };

  for (const { i, owner } of order) {
    const g = groups[i]!;
    if (owner && (!open || open.userId !== owner || open.pullType !== g.pullType || open.day !== g.day)) {
      closeUserDay();
      open = { userId: owner, pullType: g.pullType, day: g.day };
    }
    toFull(io.channelCurve(g.channelId, g.pullType, g.day), full);
    before.set(full);
    const { minutes, values } = g;
    for (let k = 0; k < minutes.length; k++) full[minutes[k]!] = values[k]!;
    let changed = false;
    for (let k = 0; k < minutes.length; k++) {
      const m = minutes[k]!;
      const d = full[m]! - before[m]!;
      if (d !== 0) {
        delta[m]! += d;
        before[m] = full[m]!; // a repeated minute counts its change once
        changed = true;
      }
    }
    if (!changed) continue;
    io.putChannel(g.channelId, g.pullType, g.day, fromFull(full));
    channelDays++;
    if (owner) dirty = true;
    else delta.fill(0);
  }
  closeUserDay();
  blocks.flush();
  return { channelDays, userDays };
}

/**
 * Adds (sign 1) or subtracts (sign -1) a channel's stored days to or from a user's curves and blocks, when
 * the channel gains or loses that owner.
 */
export function moveChannel(
  curves: readonly { pullType: string; day: number; curve: DayCurve }[],
  userId: string,
  sign: 1 | -1,
  io: CurveIO,
): void {
  const sorted = [...curves].sort((a, b) => compare(a.pullType, b.pullType) || a.day - b.day);
  const full = new Float64Array(DAY_MINUTES);
  const blocks = new BlockPatcher(io);
  for (const c of sorted) {
    toFull(io.userCurve(userId, c.pullType, c.day), full);
    addInto(full, c.curve, sign);
    const next = fromFull(full);
    io.putUser(userId, c.pullType, c.day, next);
    blocks.add(userId, c.pullType, c.day, next);
  }
  blocks.flush();
}
