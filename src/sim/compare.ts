/** Comparison of a server's stored per-minute CCV with the truth. Pure. */
import type { TruthRow } from './truth.js';

export interface Mismatch {
  channelId: string;
  pullType: string;
  /** epoch ms of the minute's start */
  minuteMs: number;
  expected: number;
  actual: number;
}

export interface Comparison {
  /** (channel, pull type, minute) cells with a non-zero count on either side that agree */
  matched: number;
  mismatches: Mismatch[];
}

const keyOf = (r: Pick<TruthRow, 'channelId' | 'pullType' | 'minuteMs'>) =>
  `${r.channelId}\u0000${r.pullType}\u0000${r.minuteMs}`;

/** Every cell non-zero on either side is compared; a cell missing on one side counts as 0 there. */
export function compareRows(truth: readonly TruthRow[], server: readonly TruthRow[]): Comparison {
  const cells = new Map<string, Mismatch>();
  const cell = (r: TruthRow) => {
    const k = keyOf(r);
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { channelId: r.channelId, pullType: r.pullType, minuteMs: r.minuteMs, expected: 0, actual: 0 }));
    return c;
  };
  for (const r of truth) cell(r).expected += r.ccv;
  for (const r of server) cell(r).actual += r.ccv;
  let matched = 0;
  const mismatches: Mismatch[] = [];
  for (const c of cells.values()) {
    if (c.expected === c.actual) {
      if (c.expected > 0) matched++;
    } else mismatches.push(c);
  }
  mismatches.sort(
    (a, b) => a.minuteMs - b.minuteMs || (a.channelId < b.channelId ? -1 : 1) || (a.pullType < b.pullType ? -1 : 1),
  );
  return { matched, mismatches };
}

/** Per channel, the epoch-ms range [first, last minute] the truth covers: the server is compared there only. */
export function truthRanges(truth: readonly TruthRow[]): Map<string, { first: number; last: number }> {
  const ranges = new Map<string, { first: number; last: number }>();
  for (const r of truth) {
    const range = ranges.get(r.channelId);
    if (!range) ranges.set(r.channelId, { first: r.minuteMs, last: r.minuteMs });
    else {
      range.first = Math.min(range.first, r.minuteMs);
      range.last = Math.max(range.last, r.minuteMs);
    }
  }
  return ranges;
}
