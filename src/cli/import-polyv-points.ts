/**
 * A POLYV concurrence answer turned into exact epoch minutes, and the writes that make a target equal to
 * it. The answer labels each point with a local day and `HH:mm` of the source's time zone; those labels are
 * matched against every minute of the requested local days, in time order, so the hour a DST fall-back
 * repeats lands on the right instants and a point outside the requested days (a wrong zone, a wrong
 * answer) is refused rather than guessed. Pure.
 */
import type { ConcurrenceItem } from '../client/index.js';
import { dayRangeMinutes, labelMinutes, MINUTE_MS, type Ymd } from '../domain/calendar.js';

export interface SourceMinutes {
  /** epoch ms of the first minute of the requested days and of the end (exclusive) */
  from: number;
  to: number;
  /** epoch ms of each minute with viewers -> viewers; the minutes not here had none */
  values: Map<number, number>;
}

const MAX_CCV = 0xffffffff;

export function sourceMinutes(points: readonly ConcurrenceItem[], start: Ymd, end: Ymd, timeZone: string): SourceMinutes {
  const { from, to } = dayRangeMinutes(start, end, timeZone);
  const labels = labelMinutes(from, to, timeZone);
  const values = new Map<number, number>();
  // The usual answer: every minute, in time order. Matched position by position, with each label checked.
  if (points.length === labels.length && points.every((p, i) => p?.day === labels[i]!.day && p.minute === labels[i]!.minute)) {
    for (let i = 0; i < points.length; i++) {
      const viewers = checkedViewers(points[i]!);
      if (viewers > 0) values.set((from + i) * MINUTE_MS, viewers);
    }
    return { from: from * MINUTE_MS, to: to * MINUTE_MS, values };
  }
  // Otherwise (sparse, reordered): every label of the requested days -> its epoch minutes in time order (two for
  // a repeated DST hour), each point taking the next unused one of its label.
  const instants = new Map<string, number[]>();
  for (let m = from; m < to; m++) {
    const { day, minute } = labels[m - from]!;
    const key = `${day} ${minute}`;
    const list = instants.get(key);
    if (list) list.push(m);
    else instants.set(key, [m]);
  }
  const used = new Map<string, number>();
  for (const p of points) {
    if (!p || typeof p.day !== 'string' || typeof p.minute !== 'string') {
      throw new Error(`the source answered a point without day and minute: ${JSON.stringify(p)}`);
    }
    const key = `${p.day} ${p.minute}`;
    const list = instants.get(key);
    const n = used.get(key) ?? 0;
    if (!list || n >= list.length) {
      throw new Error(
        list
          ? `the source answered minute ${key} more often than it occurs in ${timeZone}`
          : `the source answered minute ${key}, which is not in the requested days in ${timeZone} (is --source-time-zone right?)`,
      );
    }
    used.set(key, n + 1);
    const viewers = checkedViewers(p);
    if (viewers > 0) values.set(list[n]! * MINUTE_MS, viewers);
  }
  return { from: from * MINUTE_MS, to: to * MINUTE_MS, values };
}

function checkedViewers(p: ConcurrenceItem): number {
  const viewers = p.viewers;
  if (!Number.isSafeInteger(viewers) || viewers < 0 || viewers > MAX_CCV) {
    throw new Error(`the source answered ${JSON.stringify(viewers)} viewers for ${p.day} ${p.minute}: not a count`);
  }
  return viewers;
}

/**
 * The minutes to set so that the target holds exactly the source's values in [from, to): every minute whose
 * stored value differs, a stored minute the source has no viewers in set to 0. Nothing when they agree, so
 * running an import twice writes nothing the second time. Ascending by minute.
 */
export function minuteChanges(
  source: ReadonlyMap<number, number>,
  stored: ReadonlyMap<number, number>,
): { minute: number; ccv: number }[] {
  const out: { minute: number; ccv: number }[] = [];
  for (const [minute, ccv] of source) if (stored.get(minute) !== ccv) out.push({ minute, ccv });
  for (const [minute, ccv] of stored) if (ccv !== 0 && !source.has(minute)) out.push({ minute, ccv: 0 });
  return out.sort((a, b) => a.minute - b.minute);
}
