/**
 * The ground truth of a simulation: distinct viewers per channel, pull type and minute, counted over the
 * beats the server accepted (docs/api.md), and its file format (NDJSON or CSV rows
 * channelId,pullType,minute,ccv with minute in epoch ms, the same rows `POST /admin/v1/ccv` imports).
 */
import { peaksOfSum, type Peak, type CurveSpan } from '../domain/peak.js';
import type { EpochMs } from '../domain/units.js';
import { MINUTE_MS } from '../domain/calendar.js';

export interface TruthRow {
  channelId: string;
  pullType: string;
  /** epoch ms of the minute's start (the file's `minute` column) */
  minuteMs: EpochMs;
  ccv: number;
}

export type TruthFormat = 'ndjson' | 'csv';

export class TruthCounter {
  private readonly viewers = new Map<string, Set<string>>();

  add(beat: { channelId: string; viewerId: string; pullType: string; ts: number }): void {
    const minute = Math.floor(beat.ts / MINUTE_MS) * MINUTE_MS;
    const key = `${beat.channelId}\u0000${beat.pullType}\u0000${minute}`;
    let set = this.viewers.get(key);
    if (!set) this.viewers.set(key, (set = new Set()));
    set.add(beat.viewerId);
  }

  rows(): TruthRow[] {
    const rows: TruthRow[] = [];
    for (const [key, set] of this.viewers) {
      const [channelId = '', pullType = '', minute = '0'] = key.split('\u0000');
      rows.push({ channelId, pullType, minuteMs: Number(minute), ccv: set.size });
    }
    return sortRows(rows);
  }
}

export function sortRows(rows: TruthRow[]): TruthRow[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort((a, b) => cmp(a.channelId, b.channelId) || cmp(a.pullType, b.pullType) || a.minuteMs - b.minuteMs);
}

/** NDJSON unless the file name ends in .csv */
export function formatFor(file: string): TruthFormat {
  return file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson';
}

export function formatTruth(rows: readonly TruthRow[], format: TruthFormat): string {
  if (format === 'csv') {
    return `${['channelId,pullType,minute,ccv', ...rows.map((r) => `${r.channelId},${r.pullType},${r.minuteMs},${r.ccv}`)].join('\n')}\n`;
  }
  // the file's column is `minute` (epoch ms), as in the rows POST /admin/v1/ccv imports
  return (
    rows.map((r) => JSON.stringify({ channelId: r.channelId, pullType: r.pullType, minute: r.minuteMs, ccv: r.ccv })).join('\n') +
    (rows.length ? '\n' : '')
  );
}

/** Reads either format (detected per line); a bad line throws naming its number. */
export function parseTruth(text: string): TruthRow[] {
  const rows: TruthRow[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || (i === 0 && line.startsWith('channelId,'))) continue;
    const bad = (why: string): never => {
      throw new Error(`truth file line ${i + 1}: ${why}: ${line.slice(0, 80)}`);
    };
    let fields: unknown[];
    if (line.startsWith('{')) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return bad('not valid JSON');
      }
      fields = [o.channelId, o.pullType, o.minute, o.ccv];
    } else {
      fields = line.split(',').map((s) => s.trim());
      if (fields.length !== 4) bad('expected 4 fields channelId,pullType,minute,ccv');
    }
    const [channelId, pullType, minute, ccv] = fields;
    if (typeof channelId !== 'string' && typeof channelId !== 'number') bad('missing channelId');
    if (typeof pullType !== 'string' || !pullType) bad('missing pullType');
    const m = Number(minute);
    const c = Number(ccv);
    if (!Number.isInteger(m) || m % MINUTE_MS !== 0) bad('minute must be epoch ms of a minute start');
    if (!Number.isInteger(c) || c < 0) bad('ccv must be a non-negative integer');
    rows.push({ channelId: String(channelId), pullType: String(pullType), minuteMs: m, ccv: c });
  }
  return rows;
}

/** The simultaneous peak per pull type over the channels given (all rows when omitted). */
export function truthPeaks(rows: readonly TruthRow[], channels?: readonly string[]): Peak[] {
  const wanted = channels ? new Set(channels) : undefined;
  const segments: CurveSpan[] = [];
  let from = Infinity;
  let to = -Infinity;
  for (const r of rows) {
    if (wanted && !wanted.has(r.channelId)) continue;
    const m = r.minuteMs / MINUTE_MS;
    segments.push({ key: r.pullType, start: m, values: [r.ccv] });
    from = Math.min(from, m);
    to = Math.max(to, m + 1);
  }
  return segments.length ? peaksOfSum(segments, from, to) : [];
}
