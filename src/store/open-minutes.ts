/**
 * Open minutes: the small writes (a CDN's minute push, the ingest's minute flush) not yet folded into the day
 * curves and hour blocks. A store appends them as rows (kind, id, pull type, minute, value) and folds them into
 * the day curves later, in the background; meanwhile every reader sees stored curve + open minutes as one
 * curve. This module is the pure part, shared by the adapter's writer and every reading connection:
 *
 * - `OpenMinutes`, a connection's in-memory index of the open rows (the latest row of each minute wins);
 * - `openRows`, what a batch of small changes appends, from the current (merged) curves;
 * - `overlayDay` and `overlayHours`, a stored cell seen with its open minutes.
 *
 * Promises: a merged day curve equals, minute by minute, the curve the direct write path would have stored
 * (set semantics, a user's curve the sum of its channels'); a merged hour block is an upper bound of every
 * minute of its hours (the stored maximum, raised by every open value of the hour), so the pruned search stays
 * exact; zero hours stay exactly zero.
 */
import { DAY_MINUTES } from '../domain/calendar.js';
import { DAY_HOURS, HOUR_MINUTES } from '../domain/peak-search.js';
import { setMinutes, valueAt } from './curve-patch.js';
import type { CurveValues, DayCurve } from './day-curve.js';
import type { DayUpdates } from './group-minutes.js';
import { BLOCK_DAYS, BLOCK_HOURS } from './hour-blocks.js';

/** 'c' a channel's minute, 'u' a user's (the sum of its channels' at the time of the write). */
export type OpenKind = 'c' | 'u';

/** One open minute as stored: `minute` an epoch minute; `seq` orders the rows (a later one wins). */
export interface OpenRow {
  seq: number;
  kind: OpenKind;
  id: string;
  pullType: string;
  minute: number;
  value: number;
}

/** Minute of the day -> value, per pull type: the open minutes of one day of one id. */
export type OpenDay = ReadonlyMap<string, ReadonlyMap<number, OpenRow>>;

const key = (kind: OpenKind, id: string) => `${kind}\u0000${id}`;

export class OpenMinutes {
  /** kind + id -> day -> pull type -> minute of the day -> latest row */
  private readonly byId = new Map<string, Map<number, Map<string, Map<number, OpenRow>>>>();
  private count = 0;
  /** the highest seq added */
  seen = 0;
  /** when the index last went from empty to not empty (ms), for the store's fold by age */
  since = 0;

  /** Distinct open minutes held. */
  get size(): number {
    return this.count;
  }

  add(row: OpenRow): void {
    if (row.seq > this.seen) this.seen = row.seq;
    const k = key(row.kind, row.id);
    let days = this.byId.get(k);
    if (!days) this.byId.set(k, (days = new Map()));
    const day = Math.floor(row.minute / DAY_MINUTES);
    let pulls = days.get(day);
    if (!pulls) days.set(day, (pulls = new Map()));
    let minutes = pulls.get(row.pullType);
    if (!minutes) pulls.set(row.pullType, (minutes = new Map()));
    const m = row.minute - day * DAY_MINUTES;
    const old = minutes.get(m);
    if (old && old.seq > row.seq) return;
    if (!old) {
      if (this.count === 0) this.since = Date.now();
      this.count++;
    }
    minutes.set(m, row);
  }

  /** Forgets the id's rows up to `seq` (they were folded into the stored curves). */
  dropThrough(kind: OpenKind, id: string, seq: number): void {
    const k = key(kind, id);
    const days = this.byId.get(k);
    if (!days) return;
    for (const [day, pulls] of days) {
      for (const [pullType, minutes] of pulls) {
        for (const [m, row] of minutes) {
          if (row.seq > seq) continue;
          minutes.delete(m);
          this.count--;
        }
        if (minutes.size === 0) pulls.delete(pullType);
      }
      if (pulls.size === 0) days.delete(day);
    }
    if (days.size === 0) this.byId.delete(k);
  }

  clear(): void {
    this.byId.clear();
    this.count = 0;
    this.seen = 0;
  }

  /** The open minutes of one UTC day of an id, or undefined when it has none. */
  day(kind: OpenKind, id: string, day: number): OpenDay | undefined {
    return this.byId.get(key(kind, id))?.get(day);
  }

  /** Every id of the kind with open minutes. */
  ids(kind: OpenKind): string[] {
    const out: string[] = [];
    for (const k of this.byId.keys()) if (k.charCodeAt(0) === kind.charCodeAt(0)) out.push(k.slice(2));
    return out;
  }

  /** Every open row of an id (its latest per minute), in no particular order. */
  *rows(kind: OpenKind, id: string): Generator<OpenRow> {
    const days = this.byId.get(key(kind, id));
    if (!days) return;
    for (const pulls of days.values()) for (const minutes of pulls.values()) yield* minutes.values();
  }

  /** Per pull type, the largest open value of each hour of a user's block (hour index within the block). */
  blockHours(userId: string, block: number): Map<string, Map<number, number>> | undefined {
    const days = this.byId.get(key('u', userId));
    if (!days) return undefined;
    let out: Map<string, Map<number, number>> | undefined;
    for (const [day, pulls] of days) {
      const d = day - block * BLOCK_DAYS;
      if (d < 0 || d >= BLOCK_DAYS) continue;
      for (const [pullType, minutes] of pulls) {
        out ??= new Map();
        let hours = out.get(pullType);
        if (!hours) out.set(pullType, (hours = new Map()));
        for (const [m, row] of minutes) {
          const h = d * DAY_HOURS + Math.floor(m / HOUR_MINUTES);
          if (row.value > (hours.get(h) ?? 0)) hours.set(h, row.value);
        }
      }
    }
    return out;
  }
}

/** A stored day curve of one pull type with its open minutes set (undefined: the day is all zeros). */
export function overlayDay(curve: DayCurve | undefined, open: ReadonlyMap<number, OpenRow>): DayCurve | undefined {
  const minutes = new Uint16Array(open.size);
  const values = new Float64Array(open.size);
  let k = 0;
  for (const [m, row] of open) {
    minutes[k] = m;
    values[k++] = row.value;
  }
  return setMinutes(curve, minutes, values);
}

/** A stored block of one pull type raised by open maxima (hour within block -> maximum); undefined: all zeros. */
export function overlayHours(block: CurveValues | undefined, open: ReadonlyMap<number, number>): CurveValues | undefined {
  const full = new Uint32Array(BLOCK_HOURS);
  if (block) full.set(block);
  for (const [h, max] of open) if (max > full[h]!) full[h] = max;
  let max = 0;
  for (let i = 0; i < full.length; i++) if (full[i]! > max) max = full[i]!;
  if (max === 0) return undefined;
  if (max < 0x100) return Uint8Array.from(full);
  if (max < 0x10000) return Uint16Array.from(full);
  return full;
}

/** The current (merged) curves a batch of small changes is compared with. */
export interface OpenSource {
  /** the user owning the channel now, undefined for nobody's channel */
  owner(channelId: string): string | undefined;
  channelCurve(channelId: string, pullType: string, day: number): DayCurve | undefined;
  userCurve(userId: string, pullType: string, day: number): DayCurve | undefined;
}

/**
 * The open rows (without seq) a batch appends: each channel minute whose last value differs from the current
 * one, then each owner's minute with the sum of its channels' changes added (clamped at zero, as the direct
 * path does). Channel rows come first, each list in group order.
 */
export function openRows(groups: readonly DayUpdates[], source: OpenSource): Omit<OpenRow, 'seq'>[] {
  const out: Omit<OpenRow, 'seq'>[] = [];
  // owner, pull type, epoch minute -> summed change
  const deltas = new Map<string, { userId: string; pullType: string; minute: number; delta: number }>();
  const owners = new Map<string, string | undefined>();
  for (const g of groups) {
    let owner: string | undefined;
    if (owners.has(g.channelId)) owner = owners.get(g.channelId);
    else owners.set(g.channelId, (owner = source.owner(g.channelId)));
    const current = source.channelCurve(g.channelId, g.pullType, g.day);
    const base = g.day * DAY_MINUTES;
    const done = new Set<number>();
    // from the end: the last row of a minute wins
    for (let k = g.minutes.length - 1; k >= 0; k--) {
      const m = g.minutes[k]!;
      if (done.has(m)) continue;
      done.add(m);
      const v = g.values[k]!;
      const d = v - valueAt(current, m);
      if (d === 0) continue;
      out.push({ kind: 'c', id: g.channelId, pullType: g.pullType, minute: base + m, value: v });
      if (owner === undefined) continue;
      const dk = `${owner}\u0000${g.pullType}\u0000${base + m}`;
      const acc = deltas.get(dk);
      if (acc) acc.delta += d;
      else deltas.set(dk, { userId: owner, pullType: g.pullType, minute: base + m, delta: d });
    }
  }
  let lastKey = '';
  let current: DayCurve | undefined;
  for (const { userId, pullType, minute, delta } of deltas.values()) {
    if (delta === 0) continue;
    const day = Math.floor(minute / DAY_MINUTES);
    const k = `${userId}\u0000${pullType}\u0000${day}`;
    if (k !== lastKey) {
      current = source.userCurve(userId, pullType, day);
      lastKey = k;
    }
    const old = valueAt(current, minute - day * DAY_MINUTES);
    const value = Math.max(0, old + delta);
    if (value !== old) out.push({ kind: 'u', id: userId, pullType, minute, value });
  }
  return out;
}
