/**
 * Import of per-minute channel CCV (e.g. counts exported by a CDN) from CSV or NDJSON. Rows set the
 * minute's value, so importing a file twice changes nothing. Bad rows are reported by line number and
 * reason while the good rows still load.
 *
 * Promises: the last row of a (channel, pull type, minute) wins, whatever the order of the file; each
 * channel-day, user-day and hour block is written once per FLUSH_ROWS rows (one transaction each), so an
 * import of up to that many rows is all or nothing and costs the same in time order or shuffled.
 *
 * Speed: text is parsed in place (no split per line, no per-row objects) by the strict fast path of
 * ./import-parse.ts; any line it does not fully accept goes through the general path below, which owns
 * every error message. Channels are checked once per import, in one store query per chunk of new ids.
 */
import { CHANNEL_ID } from '@live-ccv/client/contract';
import type { Config } from '../config/config.js';
import { localToEpochMs, MINUTE_MS } from '../domain/calendar.js';
import { MinuteBatch, type ChannelRows } from '../store/group-minutes.js';
import type { Store } from '../store/port.js';
import { COLUMNS, columnCodes, fastCsvRow, type Column, type FastCells, type FastRow } from './import-parse.js';

export interface ImportResult {
  accepted: number;
  rejected: { line: number; reason: string }[];
}

export type ImportFormat = 'csv' | 'ndjson';
/** Rows held in memory before a write; ~10 bytes each while grouped, ~20 while written. */
export const FLUSH_ROWS = 8_000_000;
const MAX_CCV = 0xffffffff;
/** Characters of text parsed between two checks of new channels. */
const PIECE = 1 << 20;

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

export interface ImportOptions {
  format?: ImportFormat;
  /** called after each chunk of text with the last line number read */
  onProgress?: (line: number) => void;
}

export class CcvImporter {
  /** channel id -> exists; checked once per import */
  private readonly channels = new Map<string, boolean>();
  /** the fast path's numeric channel ids -> the channel's entry in the current batch (known channels only) */
  private handles = new Map<number, ChannelRows>();
  private readonly pullTypes: Set<string>;
  private batch = new MinuteBatch();
  private result: ImportResult = { accepted: 0, rejected: [] };
  // rows whose channel is not checked yet, in input order, field by field (a CDN's push holds a thousand: no
  // object per row); and the distinct channels among them
  private pending = new PendingRows();
  private pendingIds = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'pullTypes' | 'timeZone'>,
    private readonly flushRows = FLUSH_ROWS,
  ) {
    this.pullTypes = new Set(config.pullTypes);
  }

  /** Imports whole lines (numbered from 1). */
  importLines(lines: AsyncIterable<string> | Iterable<string>, options: ImportOptions = {}): Promise<ImportResult> {
    const joined = async function* () {
      for await (const line of lines) yield `${line}\n`;
    };
    return this.importText(joined(), options);
  }

  /**
   * Imports text arriving in chunks of any size (lines may span chunks). The format is detected from the
   * first non-blank line unless given; a CSV may start with a header naming the four columns in any order.
   */
  async importText(chunks: AsyncIterable<string> | Iterable<string>, options: ImportOptions = {}): Promise<ImportResult> {
    let format = options.format;
    let columns: readonly Column[] = COLUMNS;
    let codes = columnCodes(columns);
    let first = true;
    let lineNo = 0;
    let carry = '';
    const cells: FastCells = { channel: 0, pullType: 0, minute: 0, ccv: 0 };
    const fast: FastRow = { channelId: '', pullType: '', minute: 0, ccv: 0 };
    const names = this.config.pullTypes;

    const line = (text: string, start: number, end: number) => {
      lineNo++;
      if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
      if (end === start) return;
      if (first) {
        const trimmed = text.slice(start, end).trim();
        if (trimmed === '') return;
        first = false;
        format ??= trimmed.startsWith('{') ? 'ndjson' : 'csv';
        const header = format === 'csv' ? csvHeader(trimmed) : undefined;
        if (header) {
          columns = header;
          codes = columnCodes(header);
          return;
        }
      }
      if (format === 'csv' && fastCsvRow(text, start, end, codes, names, cells)) {
        const known = this.handles.get(cells.channel);
        if (known) {
          this.batch.addTo(known, names[cells.pullType]!, cells.minute, cells.ccv);
          this.result.accepted++;
          return;
        }
        fast.channelId = String(cells.channel);
        fast.pullType = names[cells.pullType]!;
        fast.minute = cells.minute;
        fast.ccv = cells.ccv;
        this.accept(lineNo, fast);
        if (this.channels.get(fast.channelId) === true) this.handles.set(cells.channel, this.batch.channel(fast.channelId));
        return;
      }
      const raw = text.slice(start, end).trim();
      if (raw === '') return;
      const parsed = format === 'csv' ? fromCsv(raw, columns) : fromNdjson(raw);
      const row = typeof parsed === 'string' ? parsed : this.validate(parsed);
      if (typeof row === 'string') this.result.rejected.push({ line: lineNo, reason: row });
      else this.accept(lineNo, row);
    };

    for await (const chunk of chunks) {
      const text = carry + chunk;
      let start = 0;
      // a large chunk (an HTTP body) is taken a piece at a time, so rows of channels not yet checked are
      // held for one piece only before one query checks them
      for (;;) {
        const piece = start + PIECE;
        let nl = text.indexOf('\n', start);
        while (nl !== -1 && start < piece) {
          line(text, start, nl);
          start = nl + 1;
          nl = text.indexOf('\n', start);
        }
        await this.settle();
        if (nl === -1) break;
      }
      carry = text.slice(start);
      options.onProgress?.(lineNo);
    }
    if (carry !== '') line(carry, 0, carry.length);
    await this.settle();
    await this.flush();
    options.onProgress?.(lineNo);
    this.result.rejected.sort((a, b) => a.line - b.line);
    return this.result;
  }

  private accept(line: number, row: FastRow): void {
    const known = this.channels.get(row.channelId);
    if (known === true) {
      this.batch.add(row.channelId, row.pullType, row.minute, row.ccv);
      this.result.accepted++;
    } else if (known === false) {
      this.result.rejected.push({ line, reason: `unknown channel ${row.channelId}` });
    } else {
      this.pending.push(line, row);
      this.pendingIds.add(row.channelId);
    }
  }

  /**
   * Checks the channels of the chunk's pending rows in one query and replays those rows in input order (a
   * channel's rows are all pending or all not, so each channel keeps its order); then writes a full batch.
   */
  private async settle(): Promise<void> {
    if (this.pending.size > 0) {
      const ids = [...this.pendingIds];
      const existing = await this.store.existingChannels(ids);
      for (const id of ids) this.channels.set(id, existing.has(id));
      const rows = this.pending;
      this.pending = new PendingRows();
      this.pendingIds = new Set();
      rows.replay((line, row) => this.accept(line, row));
    }
    if (this.batch.rows >= this.flushRows) await this.flush();
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = new MinuteBatch();
    this.handles = new Map(); // entries of the batch just written
    await this.store.setMinuteBatch(batch);
  }

  private validate(r: Record<Column, string>): FastRow | string {
    if (!CHANNEL_ID.test(r.channelId)) return `channelId must be digits, got ${JSON.stringify(r.channelId)}`;
    if (!this.pullTypes.has(r.pullType)) {
      return `unknown pullType ${JSON.stringify(r.pullType)} (accepted: ${this.config.pullTypes.join(', ')})`;
    }
    const ms = parseMinute(r.minute, this.config.timeZone);
    if (typeof ms === 'string') return ms;
    if (!/^\d+$/.test(r.ccv) || Number(r.ccv) > MAX_CCV) {
      return `ccv must be a non-negative integer, got ${JSON.stringify(r.ccv)}`;
    }
    return { channelId: r.channelId, pullType: r.pullType, minute: ms / MINUTE_MS, ccv: Number(r.ccv) };
  }
}

/** Rows held until their channels are checked, in input order, one array per field. */
class PendingRows {
  private readonly lines: number[] = [];
  private readonly channelIds: string[] = [];
  private readonly pullTypes: string[] = [];
  private readonly minutes: number[] = [];
  private readonly ccvs: number[] = [];

  get size(): number {
    return this.lines.length;
  }

  push(line: number, row: FastRow): void {
    this.lines.push(line);
    this.channelIds.push(row.channelId);
    this.pullTypes.push(row.pullType);
    this.minutes.push(row.minute);
    this.ccvs.push(row.ccv);
  }

  /** Calls `each` with every row in order, through one reused row object (valid during the call only). */
  replay(each: (line: number, row: FastRow) => void): void {
    const row: FastRow = { channelId: '', pullType: '', minute: 0, ccv: 0 };
    for (let i = 0; i < this.lines.length; i++) {
      row.channelId = this.channelIds[i]!;
      row.pullType = this.pullTypes[i]!;
      row.minute = this.minutes[i]!;
      row.ccv = this.ccvs[i]!;
      each(this.lines[i]!, row);
    }
  }
}

const cellsOf = (line: string) => line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));

function fromCsv(line: string, columns: readonly Column[]): Record<Column, string> | string {
  const cells = cellsOf(line);
  if (cells.length !== columns.length) {
    return `expected ${columns.length} columns (${columns.join(',')}), got ${cells.length}`;
  }
  const out = {} as Record<Column, string>;
  for (const [i, c] of columns.entries()) out[c] = cells[i]!;
  return out;
}

/** The lines of text arriving in chunks of any size (a line may span chunks). */
export async function* linesOfText(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      start = nl + 1;
    }
    carry = text.slice(start);
  }
  if (carry !== '') yield carry;
}

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
