/**
 * Minute rows grouped by the day curve they land in, so a store reads and writes each channel-day once per
 * batch whatever the order of the rows (time-ordered, channel-ordered or shuffled).
 *
 * Promise: for every (channel, pull type, minute) the value a batch applies is its last row's (rows keep
 * their order inside a group), as if the rows were applied one by one.
 *
 * Rows are appended to three flat typed arrays (10 bytes a row) and sorted into groups only when read, with
 * a stable counting sort: no per-row objects, no per-row map of minutes. A row finds its group through its
 * channel's entry (one map look-up, none when the caller holds the entry) and a window of days per pull type.
 */
import { DAY_MINUTES } from '../domain/calendar.js';
import type { ChannelMinute } from './port.js';

/** The rows of one channel-day, in input order. */
export interface DayUpdates {
  channelId: string;
  pullType: string;
  /** UTC day number (epoch minute / 1440) */
  day: number;
  /** minute of the UTC day of each row */
  minutes: ArrayLike<number>;
  /** value of each row; a later row for the same minute wins */
  values: ArrayLike<number>;
}

/**
 * One pull type of a channel: group index by UTC day over a window [base, base + groups.length); -1 none. A
 * plain array, one slot at first: a CDN's push makes a thousand of these for one day each, and a typed array
 * costs an allocation of its own.
 */
interface PullDays {
  pullType: string;
  base: number;
  groups: number[];
}

/** A channel's entry in a batch; callers adding many rows may hold it (MinuteBatch.channel). */
export interface ChannelRows {
  readonly channelId: string;
  /** made with its first pull type: an empty array grows to 17 slots at its first push, a push's thousand channels */
  pulls: PullDays[] | undefined;
}

export class MinuteBatch {
  // each channel-day's channel, pull type and day, by group index (fields in arrays: no object per group)
  private readonly groupChannel: string[] = [];
  private readonly groupPull: string[] = [];
  private readonly groupDay: number[] = [];
  private readonly channels = new Map<string, ChannelRows>();
  private rowGroup = new Int32Array(1024);
  private rowMinute = new Uint16Array(1024);
  private rowValue = new Uint32Array(1024);
  private count = 0;
  // the last group added to: consecutive rows of a channel-ordered file share it
  private lastChannel: ChannelRows | undefined;
  private lastPullType = '';
  private lastDay = Number.NaN;
  private lastGroup = -1;

  static of(rows: readonly ChannelMinute[]): MinuteBatch {
    const batch = new MinuteBatch();
    for (const r of rows) batch.add(r.channelId, r.pullType, r.minute, r.ccv);
    return batch;
  }

  /** Rows added so far. */
  get rows(): number {
    return this.count;
  }

  /** Channel-days touched so far. */
  get groupCount(): number {
    return this.groupDay.length;
  }

  /** The channel's entry, to add many rows without looking it up each time. */
  channel(channelId: string): ChannelRows {
    let ch = this.channels.get(channelId);
    if (!ch) this.channels.set(channelId, (ch = { channelId, pulls: undefined }));
    return ch;
  }

  /** Adds one row: `minute` an epoch minute, `ccv` a non-negative integer below 2^32. */
  add(channelId: string, pullType: string, minute: number, ccv: number): void {
    this.addTo(this.channel(channelId), pullType, minute, ccv);
  }

  addTo(ch: ChannelRows, pullType: string, minute: number, ccv: number): void {
    const day = Math.floor(minute / DAY_MINUTES);
    let g = this.lastGroup;
    if (day !== this.lastDay || ch !== this.lastChannel || pullType !== this.lastPullType) {
      g = this.groupOf(ch, pullType, day);
      this.lastChannel = ch;
      this.lastPullType = pullType;
      this.lastDay = day;
      this.lastGroup = g;
    }
    if (this.count === this.rowGroup.length) this.grow();
    const i = this.count++;
    this.rowGroup[i] = g;
    this.rowMinute[i] = minute - day * DAY_MINUTES;
    this.rowValue[i] = ccv;
  }

  /** Every channel-day in first-seen order, its rows in input order (views valid until the next add). */
  groups(): DayUpdates[] {
    const n = this.groupDay.length;
    const starts = new Int32Array(n + 1);
    for (let i = 0; i < this.count; i++) starts[this.rowGroup[i]! + 1]!++;
    for (let g = 0; g < n; g++) starts[g + 1]! += starts[g]!;
    const fill = starts.slice(0, n);
    const minutes = new Uint16Array(this.count);
    const values = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const at = fill[this.rowGroup[i]!]!++;
      minutes[at] = this.rowMinute[i]!;
      values[at] = this.rowValue[i]!;
    }
    // fields named, not spread: spreading an object costs ~2 µs, a push's thousand groups 2 ms
    const out: DayUpdates[] = new Array(n);
    for (let g = 0; g < n; g++) {
      const from = starts[g]!;
      const to = starts[g + 1]!;
      // a group of one row (each of a push's thousand) in two small arrays: a typed view costs ten times more
      const one = to - from === 1;
      out[g] = {
        channelId: this.groupChannel[g]!,
        pullType: this.groupPull[g]!,
        day: this.groupDay[g]!,
        minutes: one ? [minutes[from]!] : minutes.subarray(from, to),
        values: one ? [values[from]!] : values.subarray(from, to),
      };
    }
    return out;
  }

  private groupOf(ch: ChannelRows, pullType: string, day: number): number {
    let pull: PullDays | undefined;
    for (const p of ch.pulls ?? []) {
      if (p.pullType === pullType) {
        pull = p;
        break;
      }
    }
    if (!pull) {
      pull = { pullType, base: day, groups: [-1] };
      if (ch.pulls) ch.pulls.push(pull);
      else ch.pulls = [pull];
    }
    let i = day - pull.base;
    if (i < 0 || i >= pull.groups.length) {
      // widen the window to hold the day (at least doubling, so a channel's days cost amortised O(1))
      const lo = Math.min(pull.base, day);
      const hi = Math.max(pull.base + pull.groups.length, day + 1);
      const groups = new Array<number>(Math.max(hi - lo, pull.groups.length * 2)).fill(-1);
      for (let k = 0; k < pull.groups.length; k++) groups[pull.base - lo + k] = pull.groups[k]!;
      pull.base = lo;
      pull.groups = groups;
      i = day - lo;
    }
    let g = pull.groups[i]!;
    if (g < 0) {
      g = this.groupDay.length;
      this.groupChannel.push(ch.channelId);
      this.groupPull.push(pullType);
      this.groupDay.push(day);
      pull.groups[i] = g;
    }
    return g;
  }

  private grow(): void {
    const size = this.rowGroup.length * 2;
    const group = new Int32Array(size);
    const minute = new Uint16Array(size);
    const value = new Uint32Array(size);
    group.set(this.rowGroup);
    minute.set(this.rowMinute);
    value.set(this.rowValue);
    this.rowGroup = group;
    this.rowMinute = minute;
    this.rowValue = value;
  }
}
