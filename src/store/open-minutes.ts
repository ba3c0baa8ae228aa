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
import { BLOCK_DAYS, BLOCK_HOURS, narrowBlock } from './hour-blocks.js';

/** 'c' a channel's minute, 'u' a user's (the sum of its channels' at the time of the write). */
export type OpenKind = 'c' | 'u';

/** One open minute: `minute` an epoch minute. */
export interface OpenRow {
  kind: OpenKind;
  id: string;
  pullType: string;
  minute: number;
  value: number;
}

/**
 * The open minutes of one pull type of one day of an id: minutes of the day ascending, each with its value and
 * the seq of the write that set it, in typed arrays (a push adds one minute to a thousand of them: no per-minute
 * objects for the collector to copy, and a merge reads the arrays as they are).
 */
export class OpenCurve {
  private mins = new Uint16Array(4);
  private vals = new Uint32Array(4);
  private seqs = new Uint32Array(4);
  /** minutes held */
  size = 0;

  /** The value of a minute of the day, or undefined when it is not open. */
  get(minute: number): number | undefined {
    // pushes arrive in time order: the minute asked for is usually past the last one held
    if (this.size === 0 || this.mins[this.size - 1]! < minute) return undefined;
    const i = this.find(minute);
    return i < this.size && this.mins[i] === minute ? this.vals[i] : undefined;
  }

  /** Sets a minute's value, written by transaction `seq`; returns whether the minute is new. */
  set(minute: number, value: number, seq: number): boolean {
    const n = this.size;
    // pushes arrive in time order: the new minute is usually the last
    const i = n > 0 && this.mins[n - 1]! < minute ? n : this.find(minute);
    if (i < n && this.mins[i] === minute) {
      this.vals[i] = value;
      this.seqs[i] = seq;
      return false;
    }
    if (n === this.mins.length) {
      const mins = new Uint16Array(n * 2);
      const vals = new Uint32Array(n * 2);
      const seqs = new Uint32Array(n * 2);
      mins.set(this.mins);
      vals.set(this.vals);
      seqs.set(this.seqs);
      this.mins = mins;
      this.vals = vals;
      this.seqs = seqs;
    }
    if (i < n) {
      this.mins.copyWithin(i + 1, i, n);
      this.vals.copyWithin(i + 1, i, n);
      this.seqs.copyWithin(i + 1, i, n);
    }
    this.mins[i] = minute;
    this.vals[i] = value;
    this.seqs[i] = seq;
    this.size = n + 1;
    return true;
  }

  /** Forgets the minutes last set by transactions up to `through`; returns how many. */
  forget(through: number): number {
    let kept = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.seqs[i]! <= through) continue;
      this.mins[kept] = this.mins[i]!;
      this.vals[kept] = this.vals[i]!;
      this.seqs[kept++] = this.seqs[i]!;
    }
    const forgotten = this.size - kept;
    this.size = kept;
    return forgotten;
  }

  /** The minutes, ascending (a view: valid until the next set). */
  minutes(): Uint16Array {
    return this.mins.subarray(0, this.size);
  }

  /** Their values (a view: valid until the next set). */
  values(): Uint32Array {
    return this.vals.subarray(0, this.size);
  }

  /** The first index whose minute is not below `minute`. */
  private find(minute: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.mins[mid]! < minute) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Per pull type, the open minutes of one day of one id. */
export type OpenDay = ReadonlyMap<string, OpenCurve>;

/**
 * A connection's index of the open minutes, fed in the order they were written (a later value of a minute
 * replaces an earlier one). A fold writes every open minute of the ids it names into the stored curves, so
 * forgetting an id forgets all of its minutes. Keyed kind -> id -> day -> pull type (no key strings built per
 * look-up).
 */
export class OpenMinutes {
  private readonly byKind: Record<OpenKind, Map<string, Map<number, Map<string, OpenCurve>>>> = { c: new Map(), u: new Map() };
  private count = 0;
  /** the highest seq (write) indexed */
  seen = 0;
  /** when the index last went from empty to not empty (ms), for the store's fold by age */
  since = 0;

  /** Distinct open minutes held. */
  get size(): number {
    return this.count;
  }

  /** The open minutes of one pull type of one day of an id, made when missing. */
  private curve(kind: OpenKind, id: string, day: number, pullType: string): OpenCurve {
    const ids = kind === 'c' ? this.byKind.c : this.byKind.u;
    let days = ids.get(id);
    if (!days) ids.set(id, (days = new Map()));
    let pulls = days.get(day);
    if (!pulls) days.set(day, (pulls = new Map()));
    let open = pulls.get(pullType);
    if (!open) pulls.set(pullType, (open = new OpenCurve()));
    return open;
  }

  /** Sets minutes of one day of an id (minutes of the UTC day), written by transaction `seq`. */
  set(
    seq: number,
    kind: OpenKind,
    id: string,
    pullType: string,
    day: number,
    minutes: ArrayLike<number>,
    values: ArrayLike<number>,
  ): void {
    if (seq > this.seen) this.seen = seq;
    const open = this.curve(kind, id, day, pullType);
    if (this.count === 0) this.since = Date.now();
    for (let k = 0; k < minutes.length; k++) if (open.set(minutes[k]!, values[k]!, seq)) this.count++;
  }

  /** Adds one row (`minute` an epoch minute) written by transaction `seq`. */
  add(seq: number, kind: OpenKind, id: string, pullType: string, minute: number, value: number): void {
    if (seq > this.seen) this.seen = seq;
    const day = Math.floor(minute / DAY_MINUTES);
    if (this.count === 0) this.since = Date.now();
    if (this.curve(kind, id, day, pullType).set(minute - day * DAY_MINUTES, value, seq)) this.count++;
  }

  /** Forgets an id's open minutes (they were folded into the stored curves). */
  drop(kind: OpenKind, id: string): void {
    const ids = this.byKind[kind];
    const days = ids.get(id);
    if (!days) return;
    for (const pulls of days.values()) for (const open of pulls.values()) this.count -= open.size;
    ids.delete(id);
  }

  /**
   * Forgets every minute last written by transactions up to `through` (a fold in slices wrote them all into the
   * stored curves, and their rows are deleted); minutes written after it stay, with the index as it is: nothing
   * is read again.
   */
  forgetThrough(through: number): void {
    for (const ids of [this.byKind.c, this.byKind.u]) {
      for (const [id, days] of ids) {
        for (const [day, pulls] of days) {
          for (const [pullType, open] of pulls) {
            this.count -= open.forget(through);
            if (open.size === 0) pulls.delete(pullType);
          }
          if (pulls.size === 0) days.delete(day);
        }
        if (days.size === 0) ids.delete(id);
      }
    }
    // what is left was written during the fold, moments ago
    if (this.count > 0) this.since = Date.now();
  }

  clear(): void {
    this.byKind.c.clear();
    this.byKind.u.clear();
    this.count = 0;
    this.seen = 0;
  }

  /** The open minutes of one UTC day of an id, or undefined when it has none. */
  day(kind: OpenKind, id: string, day: number): OpenDay | undefined {
    return (kind === 'c' ? this.byKind.c : this.byKind.u).get(id)?.get(day);
  }

  /** Every id of the kind with open minutes. */
  ids(kind: OpenKind): string[] {
    return [...this.byKind[kind].keys()];
  }

  /** Every open minute of an id. */
  *rows(kind: OpenKind, id: string): Generator<OpenRow> {
    for (const [day, pulls] of this.byKind[kind].get(id) ?? []) {
      for (const [pullType, open] of pulls) {
        const minutes = open.minutes();
        const values = open.values();
        for (let k = 0; k < minutes.length; k++) {
          yield { kind, id, pullType, minute: day * DAY_MINUTES + minutes[k]!, value: values[k]! };
        }
      }
    }
  }

  /** Per pull type, the largest open value of each hour of a user's block (hour index within the block). */
  blockHours(userId: string, block: number): Map<string, Map<number, number>> | undefined {
    const days = this.byKind.u.get(userId);
    if (!days) return undefined;
    let out: Map<string, Map<number, number>> | undefined;
    for (const [day, pulls] of days) {
      const d = day - block * BLOCK_DAYS;
      if (d < 0 || d >= BLOCK_DAYS) continue;
      for (const [pullType, open] of pulls) {
        out ??= new Map();
        let hours = out.get(pullType);
        if (!hours) out.set(pullType, (hours = new Map()));
        const minutes = open.minutes();
        const values = open.values();
        for (let k = 0; k < minutes.length; k++) {
          const h = d * DAY_HOURS + Math.floor(minutes[k]! / HOUR_MINUTES);
          if (values[k]! > (hours.get(h) ?? 0)) hours.set(h, values[k]!);
        }
      }
    }
    return out;
  }
}

/** A stored day curve of one pull type with its open minutes set (undefined: the day is all zeros). */
export function overlayDay(curve: DayCurve | undefined, open: OpenCurve): DayCurve | undefined {
  return setMinutes(curve, open.minutes(), open.values());
}

/** A stored block of one pull type raised by open maxima (hour within block -> maximum); undefined: all zeros. */
export function overlayHours(block: CurveValues | undefined, open: ReadonlyMap<number, number>): CurveValues | undefined {
  const full = new Uint32Array(BLOCK_HOURS);
  if (block) full.set(block);
  for (const [h, max] of open) if (max > full[h]!) full[h] = max;
  return narrowBlock(full);
}

/** The current curves a batch of small changes is compared with. */
export interface OpenSource {
  /** the user owning the channel now, undefined for nobody's channel */
  owner(channelId: string): string | undefined;
  /** the channel's stored day (its open minutes are in `open`) */
  channelCurve(channelId: string, pullType: string, day: number): DayCurve | undefined;
  /** the user's day merged with its open minutes */
  userCurve(userId: string, pullType: string, day: number): DayCurve | undefined;
  readonly open: OpenMinutes;
}

/**
 * The open rows (without seq) a batch appends: each channel minute whose last value differs from the current
 * one, then each owner's minute with the sum of its channels' changes added (clamped at zero, as the direct
 * path does). Channel rows come first, by group; then user rows sorted by (user, pull type, minute), so the rows
 * of one day curve are adjacent.
 */
export function openRows(groups: readonly DayUpdates[], source: OpenSource): OpenRow[] {
  const out: OpenRow[] = [];
  // each changed channel minute with an owner: the owner, pull type, epoch minute and change
  const owners: string[] = [];
  const pulls: string[] = [];
  const minutes: number[] = [];
  const changes: number[] = [];
  for (const g of groups) {
    const owner = source.owner(g.channelId);
    const current = source.channelCurve(g.channelId, g.pullType, g.day);
    const open = source.open.day('c', g.channelId, g.day)?.get(g.pullType);
    const base = g.day * DAY_MINUTES;
    const done = g.minutes.length > 1 ? new Set<number>() : undefined;
    // from the end: the last row of a minute wins
    for (let k = g.minutes.length - 1; k >= 0; k--) {
      const m = g.minutes[k]!;
      if (done) {
        if (done.has(m)) continue;
        done.add(m);
      }
      const v = g.values[k]!;
      const d = v - (open?.get(m) ?? valueAt(current, m));
      if (d === 0) continue;
      out.push({ kind: 'c', id: g.channelId, pullType: g.pullType, minute: base + m, value: v });
      if (owner === undefined) continue;
      owners.push(owner);
      pulls.push(g.pullType);
      minutes.push(base + m);
      changes.push(d);
    }
  }
  if (owners.length === 0) return out;
  // the changes ordered by (owner, pull type), owners and pull types compared once, by rank: a counting sort
  // (a push's thousand changes, one minute each, need no comparisons); then by minute inside each cell where
  // they are not in order already; then the changes of one owner's minute summed
  const ownerRank = ranks(owners);
  const pullRank = ranks(pulls);
  const width = pullRank.size;
  const cells = new Int32Array(owners.length);
  const starts = new Int32Array(ownerRank.size * width + 1);
  for (let i = 0; i < owners.length; i++) {
    const cell = ownerRank.get(owners[i]!)! * width + pullRank.get(pulls[i]!)!;
    cells[i] = cell;
    starts[cell + 1]!++;
  }
  for (let c = 1; c < starts.length; c++) starts[c]! += starts[c - 1]!;
  const order = new Uint32Array(owners.length);
  const fill = starts.slice(0, starts.length - 1);
  for (let i = 0; i < owners.length; i++) order[fill[cells[i]!]!++] = i;
  for (let c = 0; c + 1 < starts.length; c++) {
    const from = starts[c]!;
    const to = starts[c + 1]!;
    for (let k = from + 1; k < to; k++) {
      if (minutes[order[k]!]! < minutes[order[k - 1]!]!) {
        order.subarray(from, to).sort((a, b) => minutes[a]! - minutes[b]!);
        break;
      }
    }
  }
  const ownerOf = [...ownerRank.keys()];
  const pullOf = [...pullRank.keys()];
  let lastCell = -1;
  let lastDay = -1;
  let current: DayCurve | undefined;
  for (let k = 0; k < order.length; ) {
    const i = order[k]!;
    const cell = cells[i]!;
    const minute = minutes[i]!;
    let delta = 0;
    for (; k < order.length && cells[order[k]!] === cell && minutes[order[k]!] === minute; k++) delta += changes[order[k]!]!;
    if (delta === 0) continue;
    const userId = ownerOf[Math.floor(cell / width)]!;
    const pullType = pullOf[cell % width]!;
    const day = Math.floor(minute / DAY_MINUTES);
    if (cell !== lastCell || day !== lastDay) {
      current = source.userCurve(userId, pullType, day);
      lastCell = cell;
      lastDay = day;
    }
    const old = valueAt(current, minute - day * DAY_MINUTES);
    const value = Math.max(0, old + delta);
    if (value !== old) out.push({ kind: 'u', id: userId, pullType, minute, value });
  }
  return out;
}

/** Each distinct string -> its rank in sorted order (the map iterates in that order). */
function ranks(values: readonly string[]): Map<string, number> {
  const sorted = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(sorted.map((v, i) => [v, i]));
}
