/**
 * What `live-ccv compare` finds between two deployments' answers to the same call, and how it says so.
 * Minute series are matched by their local labels (a repeated DST hour by its order); a minute one side
 * leaves out counts as 0 there. Summaries are matched by pull type; a pull type one side lacks has peak 0
 * and no statAt there. Pure.
 */
import type { ConcurrenceItem, SummaryItem } from '../client/index.js';
import { localStamp } from '../domain/calendar.js';

export type Difference =
  | { kind: 'minute'; subject: string; day: string; minute: string; a: number; b: number }
  | { kind: 'peak'; subject: string; day: string; pullType: string; a: number; b: number }
  | { kind: 'statAt'; subject: string; day: string; pullType: string; a: number | null; b: number | null };

export interface Compared {
  minutes: number;
  peaks: number;
  statAts: number;
  differences: Difference[];
}

export const nothing = (): Compared => ({ minutes: 0, peaks: 0, statAts: 0, differences: [] });

/** Running totals of a comparison: what was compared, what differed by kind, and the differences kept. */
export interface Totals {
  minutes: number;
  peaks: number;
  statAts: number;
  differ: Record<Difference['kind'], number>;
  /** kept only when asked (--json prints them at the end; otherwise they are printed as found) */
  differences: Difference[];
}

export const noTotals = (): Totals => ({
  minutes: 0,
  peaks: 0,
  statAts: 0,
  differ: { minute: 0, peak: 0, statAt: 0 },
  differences: [],
});

export function add(into: Totals, c: Compared, keep: boolean): void {
  into.minutes += c.minutes;
  into.peaks += c.peaks;
  into.statAts += c.statAts;
  for (const d of c.differences) {
    into.differ[d.kind]++;
    if (keep) into.differences.push(d);
  }
}

export const differenceCount = (t: Totals) => t.differ.minute + t.differ.peak + t.differ.statAt;

/** Every minute either side answered; differences in A's order (time order), then minutes only B answered. */
export function diffSeries(subject: string, a: readonly ConcurrenceItem[], b: readonly ConcurrenceItem[]): Compared {
  const keyed = (items: readonly ConcurrenceItem[]) => {
    const seen = new Map<string, number>();
    const out = new Map<string, { day: string; minute: string; viewers: number }>();
    for (const p of items) {
      const label = `${p.day} ${p.minute}`;
      const n = seen.get(label) ?? 0;
      seen.set(label, n + 1);
      out.set(`${label}#${n}`, p);
    }
    return out;
  };
  const ka = keyed(a);
  const kb = keyed(b);
  const keys = [...ka.keys()];
  for (const k of kb.keys()) if (!ka.has(k)) keys.push(k);
  const differences: Difference[] = [];
  for (const k of keys) {
    const pa = ka.get(k);
    const pb = kb.get(k);
    const p = (pa ?? pb)!;
    const va = pa?.viewers ?? 0;
    const vb = pb?.viewers ?? 0;
    if (va !== vb) differences.push({ kind: 'minute', subject, day: p.day, minute: p.minute, a: va, b: vb });
  }
  return { minutes: keys.length, peaks: 0, statAts: 0, differences };
}

/** A scalar peak (get-max-history-concurrent) of one day. */
export function diffPeak(subject: string, day: string, pullType: string, a: number, b: number): Compared {
  return {
    minutes: 0,
    peaks: 1,
    statAts: 0,
    differences: a === b ? [] : [{ kind: 'peak', subject, day, pullType, a, b }],
  };
}

/** The summary's peak and statAt of every pull type either side answered (only `pullType` when given). */
export function diffSummary(
  subject: string,
  day: string,
  a: readonly SummaryItem[],
  b: readonly SummaryItem[],
  pullType?: string,
): Compared {
  const byType = (items: readonly SummaryItem[]) => new Map(items.map((i) => [i.pullType, i]));
  const ma = byType(a);
  const mb = byType(b);
  const types = [...new Set([...ma.keys(), ...mb.keys()])].filter((t) => pullType === undefined || t === pullType).sort();
  const out = nothing();
  for (const t of types) {
    const ia = ma.get(t);
    const ib = mb.get(t);
    const pa = ia ? Number(ia.peakCCV) : 0;
    const pb = ib ? Number(ib.peakCCV) : 0;
    out.peaks++;
    if (pa !== pb) out.differences.push({ kind: 'peak', subject, day, pullType: t, a: pa, b: pb });
    out.statAts++;
    const sa = ia ? ia.statAt : null;
    const sb = ib ? ib.statAt : null;
    if (sa !== sb) out.differences.push({ kind: 'statAt', subject, day, pullType: t, a: sa, b: sb });
  }
  return out;
}

/** One line per difference, for people. */
export function formatDifference(d: Difference, timeZone: string): string {
  switch (d.kind) {
    case 'minute':
      return `${d.subject}  ${d.day} ${d.minute}  minute  A ${d.a}  B ${d.b}`;
    case 'peak':
      return `${d.subject}  ${d.day} ${d.pullType}  peak  A ${d.a}  B ${d.b}`;
    case 'statAt': {
      const t = (v: number | null) => (v === null ? '(none)' : `${localStamp(v, timeZone)} (${v})`);
      return `${d.subject}  ${d.day} ${d.pullType}  statAt  A ${t(d.a)}  B ${t(d.b)}`;
    }
  }
}

export function summaryLine(t: Totals, what: string): string {
  const total = differenceCount(t);
  return (
    `compare: ${total === 0 ? 'no differences' : `${total} difference${total === 1 ? '' : 's'}`}: ` +
    `${t.differ.minute} of ${t.minutes} minutes, ${t.differ.peak} of ${t.peaks} peaks, ${t.differ.statAt} of ${t.statAts} statAt (${what})`
  );
}
