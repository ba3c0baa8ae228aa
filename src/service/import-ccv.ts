/**
 * Import of per-minute channel CCV (e.g. counts exported by a CDN) from CSV or NDJSON. Rows set the
 * minute's value, so importing a file twice changes nothing. Bad rows are reported by line number and
 * reason while the good rows still load.
 */
import { CHANNEL_ID } from '@live-ccv/client/contract';
import type { Config } from '../config/config.js';
import { localToEpochMs, MINUTE_MS } from '../domain/calendar.js';
import type { ChannelMinute, Store } from '../store/port.js';

export interface ImportResult {
  accepted: number;
  rejected: { line: number; reason: string }[];
}

export type ImportFormat = 'csv' | 'ndjson';
const COLUMNS = ['channelId', 'pullType', 'minute', 'ccv'] as const;
type Column = (typeof COLUMNS)[number];
const BATCH = 5000;
const MAX_CCV = 0xffffffff;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms of a minute given as epoch ms or ISO time (no offset: the deployment's time zone). */
export function parseMinute(text: string, timeZone: string): number | string {
  let ms: number;
  if (/^\d{1,16}$/.test(text)) ms = Number(text);
  else {
    const m = ISO.exec(text);
    if (!m) return `minute must be epoch milliseconds or an ISO time, got ${JSON.stringify(text)}`;
    const [y, mo, d, hh, mm, ss] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((v) => Number(v ?? 0)) as number[];
    const frac = Number((m[7] ?? '0').padEnd(3, '0'));
    if (m[8] !== undefined) {
      ms =
        Date.parse(
          `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]}`,
        ) + frac;
    } else {
      ms = localToEpochMs({ y: y!, m: mo!, d: d!, hh: hh!, mm: mm!, ss: ss! }, timeZone) + frac;
    }
    if (!Number.isFinite(ms) || mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || hh! > 23 || mm! > 59 || ss! > 59) {
      return `minute is not a valid time: ${JSON.stringify(text)}`;
    }
  }
  if (ms % MINUTE_MS !== 0) return `minute must fall on a minute boundary, got ${JSON.stringify(text)}`;
  return ms;
}

export class CcvImporter {
  private readonly channels = new Map<string, boolean>();

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'pullTypes' | 'timeZone'>,
  ) {}

  /**
   * Imports lines (numbered from 1). The format is detected from the first non-blank line unless given;
   * a CSV may start with a header naming the four columns in any order.
   */
  async importLines(
    lines: AsyncIterable<string> | Iterable<string>,
    options: { format?: ImportFormat; onProgress?: (line: number) => void } = {},
  ): Promise<ImportResult> {
    const result: ImportResult = { accepted: 0, rejected: [] };
    let format = options.format;
    let columns: readonly Column[] = COLUMNS;
    let batch: ChannelMinute[] = [];
    let lineNo = 0;
    let first = true;
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      format ??= line.startsWith('{') ? 'ndjson' : 'csv';
      const header = first && format === 'csv' ? csvHeader(line) : undefined;
      first = false;
      if (header) {
        columns = header;
        continue;
      }
      const parsed = format === 'csv' ? this.fromCsv(line, columns) : fromNdjson(line);
      const row = typeof parsed === 'string' ? parsed : await this.validate(parsed);
      if (typeof row === 'string') {
        result.rejected.push({ line: lineNo, reason: row });
      } else {
        batch.push(row);
        result.accepted++;
        if (batch.length >= BATCH) {
          await this.store.setChannelMinutes(batch);
          batch = [];
          options.onProgress?.(lineNo);
        }
      }
    }
    await this.store.setChannelMinutes(batch);
    options.onProgress?.(lineNo);
    return result;
  }

  private fromCsv(line: string, columns: readonly Column[]): Record<Column, string> | string {
    const cells = cellsOf(line);
    if (cells.length !== columns.length) {
      return `expected ${columns.length} columns (${columns.join(',')}), got ${cells.length}`;
    }
    const out = {} as Record<Column, string>;
    for (const [i, c] of columns.entries()) out[c] = cells[i]!;
    return out;
  }

  private async validate(r: Record<Column, string>): Promise<ChannelMinute | string> {
    if (!CHANNEL_ID.test(r.channelId)) return `channelId must be digits, got ${JSON.stringify(r.channelId)}`;
    if (!this.config.pullTypes.includes(r.pullType)) {
      return `unknown pullType ${JSON.stringify(r.pullType)} (accepted: ${this.config.pullTypes.join(', ')})`;
    }
    const ms = parseMinute(r.minute, this.config.timeZone);
    if (typeof ms === 'string') return ms;
    if (!/^\d+$/.test(r.ccv) || Number(r.ccv) > MAX_CCV) {
      return `ccv must be a non-negative integer, got ${JSON.stringify(r.ccv)}`;
    }
    if (!(await this.knownChannel(r.channelId))) return `unknown channel ${r.channelId}`;
    return { channelId: r.channelId, pullType: r.pullType, minute: ms / MINUTE_MS, ccv: Number(r.ccv) };
  }

  private async knownChannel(id: string): Promise<boolean> {
    let known = this.channels.get(id);
    if (known === undefined) {
      known = (await this.store.getChannel(id)) !== undefined;
      this.channels.set(id, known);
    }
    return known;
  }
}

const cellsOf = (line: string) => line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));

/** The columns named by a header line, or undefined when the line is data. */
export function csvHeader(line: string): Column[] | undefined {
  const cells = cellsOf(line);
  const named = cells.length === COLUMNS.length && COLUMNS.every((c) => cells.includes(c));
  return named ? (cells as Column[]) : undefined;
}

function fromNdjson(line: string): Record<Column, string> | string {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return 'expected a JSON object';
  const out = {} as Record<Column, string>;
  for (const c of COLUMNS) {
    const v = (obj as Record<string, unknown>)[c];
    if (v === undefined || v === null) return `${c} is missing`;
    if (typeof v !== 'string' && typeof v !== 'number') return `${c} must be a string or a number`;
    out[c] = String(v);
  }
  return out;
}
