/**
 * CSV answers of the signed API (RFC 4180: header row, CRLF line ends, fields quoted only when needed).
 * Only successful answers become CSV; errors stay JSON envelopes so a client always learns why.
 */
import type { CsvShape } from '@live-ccv/client/contract';
import { errors } from '../errors.js';

export const CSV_TYPE = 'text/csv; charset=utf-8';

/**
 * Whether the caller asked for CSV: the `format` parameter (json or csv) wins, since it is signed and
 * survives proxies that rewrite headers; otherwise an Accept header that ranks text/csv above JSON.
 */
export function wantsCsv(formatParam: string | undefined, accept: string | undefined): boolean {
  const format = formatParam?.trim().toLowerCase();
  if (format) {
    if (format === 'csv') return true;
    if (format === 'json') return false;
    throw errors.param(`format must be json or csv, got ${formatParam}`);
  }
  return accept ? preferred(accept) === 'text/csv' : false;
}

/** The best of text/csv and JSON in an Accept header by q value, the earlier one on a tie. */
function preferred(accept: string): string | undefined {
  let best: { type: string; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type = '', ...opts] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'text/csv' && type !== 'application/json') continue;
    const qOpt = opts.find((o) => o.startsWith('q='));
    const q = qOpt ? Number(qOpt.slice(2)) : 1;
    if (!(q > 0)) continue;
    if (!best || q > best.q) best = { type, q };
  }
  return best?.type;
}

function field(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The data of a success envelope as CSV text; the header row is there even without data rows. */
export function toCsv(data: unknown, shape: CsvShape): string {
  if ('scalar' in shape) return `${field(shape.scalar)}\r\n${field(data)}\r\n`;
  const rows = shape.rows ? shape.rows(data) : Array.isArray(data) ? data : [data];
  const lines = [shape.columns.map(field).join(',')];
  for (const row of rows) {
    const record = (row ?? {}) as Record<string, unknown>;
    lines.push(shape.columns.map((c) => field(record[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
