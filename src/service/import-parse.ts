/**
 * The strict fast path of the CCV import: one CSV line parsed in place, with no allocation but the channel
 * id and pull type strings. It accepts only lines it can read without doubt (plain digits, a configured pull
 * type, epoch ms on a minute boundary, a ccv that fits 32 bits); for anything else it answers false and the
 * importer's general path decides (and words the error), so both paths accept exactly the same rows.
 */
export const COLUMNS = ['channelId', 'pullType', 'minute', 'ccv'] as const;
export type Column = (typeof COLUMNS)[number];

/** A parsed row: `minute` an epoch minute. */
export interface FastRow {
  channelId: string;
  pullType: string;
  minute: number;
  ccv: number;
}

/**
 * What the fast path reads, without allocating: the channel id as a number (ids of at most 15 digits without
 * a leading zero, so the number names exactly one id), the pull type as its index in the configured list.
 */
export interface FastCells {
  channel: number;
  pullType: number;
  minute: number;
  ccv: number;
}

const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const MINUTE_MS = 60_000;
const MAX_CCV = 0xffffffff;

/** A column's code in the order fastCsvRow reads the fields (see columnCodes). */
const CHANNEL = 0;
const PULL_TYPE = 1;
const MINUTE = 2;
const CCV = 3;

/** The columns of a file as codes for fastCsvRow, computed once per file. */
export function columnCodes(columns: readonly Column[]): Uint8Array {
  return Uint8Array.from(columns, (c) => COLUMNS.indexOf(c));
}

/**
 * Parses text[start..end) into out when the fast path accepts it; false sends the line to the general path.
 * One pass over the line: each digit field is read while its end is looked for.
 */
export function fastCsvRow(
  text: string,
  start: number,
  end: number,
  columns: Uint8Array,
  pullTypes: readonly string[],
  out: FastCells,
): boolean {
  let a = start;
  let ms = -1;
  let ccv = -1;
  for (let f = 0; f < 4; f++) {
    const column = columns[f];
    let b = a;
    if (column === PULL_TYPE) {
      while (b < end && text.charCodeAt(b) !== COMMA) b++;
      const length = b - a;
      let found = -1;
      for (let i = 0; i < pullTypes.length; i++) {
        const name = pullTypes[i]!;
        if (name.length === length && text.startsWith(name, a)) {
          found = i;
          break;
        }
      }
      if (found < 0) return false;
      out.pullType = found;
    } else {
      // plain digits up to the next comma (at most 15: exact in a double), or the line is not for this path
      let n = 0;
      for (; b < end; b++) {
        const c = text.charCodeAt(b);
        if (c === COMMA) break;
        if (c < ZERO || c > NINE) return false;
        n = n * 10 + (c - ZERO);
      }
      const length = b - a;
      if (length === 0 || length > (column === CCV ? 10 : 15)) return false;
      if (column === CHANNEL) {
        // a leading zero would make two ids one number: such ids take the general path
        if (length > 1 && text.charCodeAt(a) === ZERO) return false;
        out.channel = n;
      } else if (column === MINUTE) {
        if (n % MINUTE_MS !== 0) return false;
        ms = n;
      } else {
        if (n > MAX_CCV) return false;
        ccv = n;
      }
    }
    // three fields end at a comma, the last at the end of the line
    if (f < 3 ? b >= end : b !== end) return false;
    a = b + 1;
  }
  out.minute = ms / MINUTE_MS;
  out.ccv = ccv;
  return true;
}
