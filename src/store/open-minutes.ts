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

/** Per pull type, minute of the day -> value: the open minutes of one day of one id. */
export type OpenDay = ReadonlyMap<string, ReadonlyMap<number, number>>;

const idKey = (kind: OpenKind, id: string) => `${kind}\u0000${id}`;

/**
 * A connection's index of the open minutes, fed in the order they were written (a later value of a minute
 * replaces an earlier one). A fold writes every open minute of the ids it names into the stored curves, so
 * forgetting an id forgets all of its minutes.
 */
export class OpenMinutes {
  /** kind + id + day -> pull type -> minute of the day -> value */
  private readonly cells = new Map<string, Map<string, Map<number, number>>>();
  /** kind + id -> days with open minutes */
  private readonly days = new Map<string, Set<number>>();
  private count = 0;
  /** the highest seq (write) indexed */
  seen = 0;
  /** when the index last went from empty to not empty (ms), for the store's fold by age */
  since = 0;

  /** Distinct open minutes held. */
  get size(): number {
    return this.count;
  }

  /** The pull-type map of one day of an id, made when missing. */
  private pulls(kind: OpenKind, id: string, day: number): Map<string, Map<number, number>> {
    const k = `${kind}\u0000${id}\u0000${day}`;
    let pulls = this.cells.get(k);
    if (!pulls) {
      this.cells.set(k, (pulls = new Map()));
      const ik = idKey(kind, id);
      let days = this.days.get(ik);
      if (!days) this.days.set(ik, (days = new Set()));
      days.add(day);
    }
    return pulls;
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
    const pulls = this.pulls(kind, id, day);
    let open = pulls.get(pullType);
    if (!open) pulls.set(pullType, (open = new Map()));
    if (this.count === 0) this.since = Date.now();
    for (let k = 0; k < minutes.length; k++) {
      const before = open.size;
      open.set(minutes[k]!, values[k]!);
      this.count += open.size - before;
    }
  }

  /** Adds one row written by transaction `seq`. */
  add(seq: number, row: OpenRow): void {
    const day = Math.floor(row.minute / DAY_MINUTES);
    this.set(seq, row.kind, row.id, row.pullType, day, [row.minute - day * DAY_MINUTES], [row.value]);
  }

  /** Forgets an id's open minutes (they were folded into the stored curves). */
  drop(kind: OpenKind, id: string): void {
    const ik = idKey(kind, id);
    const days = this.days.get(ik);
    if (!days) return;
    for (const day of days) {
      const k = `${kind}\u0000${id}\u0000${day}`;
      for (const open of this.cells.get(k)?.values() ?? []) this.count -= open.size;
      this.cells.delete(k);
    }
    this.days.delete(ik);
  }

  clear(): void {
    this.cells.clear();
    this.days.clear();
    this.count = 0;
    this.seen = 0;
  }

  /** The open minutes of one UTC day of an id, or undefined when it has none. */
  day(kind: OpenKind, id: string, day: number): OpenDay | undefined {
    return this.cells.get(`${kind}\u0000${id}\u0000${day}`);
  }

  /** Every id of the kind with open minutes. */
  ids(kind: OpenKind): string[] {
    const out: string[] = [];
    for (const k of this.days.keys()) if (k.charCodeAt(0) === kind.charCodeAt(0)) out.push(k.slice(2));
    return out;
  }

  /** Every open minute of an id. */
  *rows(kind: OpenKind, id: string): Generator<OpenRow> {
    for (const day of this.days.get(idKey(kind, id)) ?? []) {
      for (const [pullType, open] of this.day(kind, id, day)!) {
        for (const [m, value] of open) yield { kind, id, pullType, minute: day * DAY_MINUTES + m, value };
      }
    }
  }

  /** Per pull type, the largest open value of each hour of a user's block (hour index within the block). */
  blockHours(userId: string, block: number): Map<string, Map<number, number>> | undefined {
    const days = this.days.get(idKey('u', userId));
    if (!days) return undefined;
    let out: Map<string, Map<number, number>> | undefined;
    for (const day of days) {
      const d = day - block * BLOCK_DAYS;
      if (d < 0 || d >= BLOCK_DAYS) continue;
      for (const [pullType, minutes] of this.day('u', userId, day)!) {
        out ??= new Map();
        let hours = out.get(pullType);
        if (!hours) out.set(pullType, (hours = new Map()));
        for (const [m, value] of minutes) {
          const h = d * DAY_HOURS + Math.floor(m / HOUR_MINUTES);
          if (value > (hours.get(h) ?? 0)) hours.set(h, value);
        }
      }
    }
    return out;
  }
}

/** A stored day curve of one pull type with its open minutes set (undefined: the day is all zeros). */
export function overlayDay(curve: DayCurve | undefined, open: ReadonlyMap<number, number>): DayCurve | undefined {
  const minutes = new Uint16Array(open.size);
  const values = new Float64Array(open.size);
  let k = 0;
  for (const [m, value] of open) {
    minutes[k] = m;
    values[k++] = value;
  }
  return setMinutes(curve, minutes, values);
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
  // owner, pull type, epoch minute -> summed change
  const deltas = new Map<string, { userId: string; pullType: string; minute: number; delta: number }>();
  const owners = new Map<string, string | undefined>();
  for (const g of groups) {
    let owner: string | undefined;
    if (owners.has(g.channelId)) owner = owners.get(g.channelId);
    else owners.set(g.channelId, (owner = source.owner(g.channelId)));
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
      const dk = `${owner}\u0000${g.pullType}\u0000${base + m}`;
      const acc = deltas.get(dk);
      if (acc) acc.delta += d;
      else deltas.set(dk, { userId: owner, pullType: g.pullType, minute: base + m, delta: d });
    }
  }
  let lastKey = '';
  let current: DayCurve | undefined;
  const sorted = [...deltas.values()].sort(
    (a, b) =>
      (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0) ||
      (a.pullType < b.pullType ? -1 : a.pullType > b.pullType ? 1 : 0) ||
      a.minute - b.minute,
  );
  for (const { userId, pullType, minute, delta } of sorted) {
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
