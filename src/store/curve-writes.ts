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
 *   accumulator are open at a time, and memory stays a few full-day arrays;
 * - a change of a few minutes (a CDN's minute push, the ingest's minute flush) patches the stored spans
 *   (./curve-patch.ts) instead of rebuilding whole days, and a block whose hour maxima did not move is not
 *   rewritten.
 */
import { DAY_MINUTES } from '../domain/calendar.js';
import { DAY_HOURS, HOUR_MINUTES } from '../domain/peak-search.js';
import { addMinutes, hourMax, PATCH_MAX_MINUTES, setMinutes, valueAt } from './curve-patch.js';
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

/**
 * Collects the new maxima of user-days and writes each block once, when the next one starts. A user-day
 * changed in a few hours only updates those hours; a block whose maxima all stayed is left as it is.
 */
class BlockPatcher {
  private userId = '';
  private pullType = '';
  private block = Number.NaN;
  /** day within the block -> 24 maxima (whole day) */
  private days = new Map<number, Uint32Array>();
  /** day within the block -> hour -> maximum (a few hours) */
  private hours = new Map<number, Map<number, number>>();

  constructor(private readonly io: CurveIO) {}

  /** `hours`: the hours of the day that changed, or undefined for all of them. */
  add(userId: string, pullType: string, day: number, curve: DayCurve | undefined, hours?: Iterable<number>): void {
    const block = blockOf(day);
    if (userId !== this.userId || pullType !== this.pullType || block !== this.block) {
      this.flush();
      this.userId = userId;
      this.pullType = pullType;
      this.block = block;
    }
    const d = day - block * BLOCK_DAYS;
    if (!hours) {
      this.days.set(d, dayMaxima(curve));
      this.hours.delete(d);
      return;
    }
    const whole = this.days.get(d);
    let some = this.hours.get(d);
    if (!whole && !some) this.hours.set(d, (some = new Map()));
    for (const h of hours) {
      const max = hourMax(curve, h);
      if (whole) whole[h] = max;
      else some!.set(h, max);
    }
  }

  flush(): void {
    if (this.days.size === 0 && this.hours.size === 0) return;
    const current = this.io.block(this.userId, this.pullType, this.block);
    const raised = current && this.days.size === 0 ? this.raiseInPlace(current) : undefined;
    if (raised) {
      if (raised !== current) this.io.putBlock(this.userId, this.pullType, this.block, raised);
      this.days = new Map();
      this.hours = new Map();
      return;
    }
    let changed = this.days.size > 0;
    const days = this.days;
    for (const [d, byHour] of this.hours) {
      for (const [h, max] of byHour) {
        if ((current?.[d * DAY_HOURS + h] ?? 0) !== max) changed = true;
      }
      // partial days become whole ones only when something moved (then patchBlock rewrites the block)
      const maxima = new Uint32Array(DAY_HOURS);
      if (current) for (let h = 0; h < DAY_HOURS; h++) maxima[h] = current[d * DAY_HOURS + h]!;
      for (const [h, max] of byHour) maxima[h] = max;
      days.set(d, maxima);
    }
    if (changed) this.io.putBlock(this.userId, this.pullType, this.block, patchBlock(current, days));
    this.days = new Map();
    this.hours = new Map();
  }

  private raiseInPlace(current: CurveValues): CurveValues | undefined {
    return raiseHours(current, this.hours);
  }
}

/**
 * The common minute-flush case without rebuilding the block: only some hours changed, none went down and all
 * still fit the block's width, so a copy with those hours set is already the narrowest form. Returns the block
 * itself when nothing changed, undefined when the general path must decide.
 */
function raiseHours(current: CurveValues, hours: ReadonlyMap<number, ReadonlyMap<number, number>>): CurveValues | undefined {
  const limit = 2 ** (8 * current.BYTES_PER_ELEMENT);
  let changed = false;
  for (const [d, byHour] of hours) {
    for (const [h, max] of byHour) {
      const old = current[d * DAY_HOURS + h]!;
      if (max < old || max >= limit) return undefined;
      if (max !== old) changed = true;
    }
  }
  if (!changed) return current;
  const next = current.slice();
  for (const [d, byHour] of hours) for (const [h, max] of byHour) next[d * DAY_HOURS + h] = max;
  return next;
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
  // minutes of the open user-day whose delta may be non-zero (each once)
  const marked = new Uint8Array(DAY_MINUTES);
  let touched: number[] = [];
  let wide = false; // more touched minutes than the patch path takes
  const blocks = new BlockPatcher(io);
  let channelDays = 0;
  let userDays = 0;
  // the user-day whose delta is accumulating
  let open: { userId: string; pullType: string; day: number } | undefined;

  const addDelta = (m: number, d: number) => {
    delta[m]! += d;
    if (wide || marked[m]) return;
    marked[m] = 1;
    touched.push(m);
    if (touched.length > PATCH_MAX_MINUTES) wide = true;
  };

  const closeUserDay = () => {
    if (open && touched.length > 0) {
      const current = io.userCurve(open.userId, open.pullType, open.day);
      let next: DayCurve | undefined;
      let hours: Set<number> | undefined;
      if (wide) {
        toFull(current, userFull);
        for (let m = 0; m < DAY_MINUTES; m++) userFull[m]! += delta[m]!;
        next = fromFull(userFull);
        delta.fill(0);
        marked.fill(0);
      } else {
        next = addMinutes(
          current,
          touched,
          touched.map((m) => delta[m]!),
        );
        hours = new Set(touched.map((m) => Math.floor(m / HOUR_MINUTES)));
        for (const m of touched) {
          delta[m] = 0;
          marked[m] = 0;
        }
      }
      io.putUser(open.userId, open.pullType, open.day, next);
      blocks.add(open.userId, open.pullType, open.day, next, hours);
      userDays++;
    }
    open = undefined;
    touched = [];
    wide = false;
  };

  for (const { i, owner } of order) {
    const g = groups[i]!;
    if (!open || open.userId !== owner || open.pullType !== g.pullType || open.day !== g.day) {
      closeUserDay();
      if (owner) open = { userId: owner, pullType: g.pullType, day: g.day };
    }
    const current = io.channelCurve(g.channelId, g.pullType, g.day);
    const { minutes, values } = g;
    let next: DayCurve | undefined;
    let changed = false;
    if (minutes.length <= PATCH_MAX_MINUTES) {
      // a few minutes: the change of each distinct minute is its last value minus what was stored
      for (let k = 0; k < minutes.length; k++) {
        const m = minutes[k]!;
        let last = true;
        for (let j = k + 1; j < minutes.length; j++) if (minutes[j] === m) last = false;
        if (!last) continue;
        const d = values[k]! - valueAt(current, m);
        if (d === 0) continue;
        changed = true;
        if (owner) addDelta(m, d);
      }
      if (changed) next = setMinutes(current, minutes, values);
    } else {
      toFull(current, full);
      before.set(full);
      for (let k = 0; k < minutes.length; k++) full[minutes[k]!] = values[k]!;
      for (let k = 0; k < minutes.length; k++) {
        const m = minutes[k]!;
        const d = full[m]! - before[m]!;
        if (d !== 0) {
          if (owner) addDelta(m, d);
          before[m] = full[m]!; // a repeated minute counts its change once
          changed = true;
        }
      }
      if (changed) next = fromFull(full);
    }
    if (!changed) continue;
    io.putChannel(g.channelId, g.pullType, g.day, next);
    channelDays++;
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
