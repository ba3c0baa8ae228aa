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

/** Digits of text[a..b) as a number, or -1 when empty, not all digits, or longer than `max` digits. */
function digits(text: string, a: number, b: number, max: number): number {
  if (b <= a || b - a > max) return -1;
  let n = 0;
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** Parses text[start..end) into out when the fast path accepts it; false sends the line to the general path. */
export function fastCsvRow(
  text: string,
  start: number,
  end: number,
  columns: readonly Column[],
  pullTypes: readonly string[],
  out: FastCells,
): boolean {
  let a = start;
  let ms = -1;
  let ccv = -1;
  for (let f = 0; f < 4; f++) {
    let b = a;
    while (b < end && text.charCodeAt(b) !== COMMA) b++;
    if (f < 3 ? b >= end : b !== end) return false;
    switch (columns[f]) {
      case 'channelId':
        // a leading zero would make two ids one number: such ids take the general path
        if (text.charCodeAt(a) === ZERO && b - a > 1) return false;
        out.channel = digits(text, a, b, 15);
        if (out.channel < 0) return false;
        break;
      case 'pullType': {
        let found = -1;
        for (let i = 0; i < pullTypes.length; i++) {
          const name = pullTypes[i]!;
          if (name.length === b - a && text.startsWith(name, a)) {
            found = i;
            break;
          }
        }
        if (found < 0) return false;
        out.pullType = found;
        break;
      }
      case 'minute':
        ms = digits(text, a, b, 15);
        if (ms < 0 || ms % MINUTE_MS !== 0) return false;
        break;
      case 'ccv':
        ccv = digits(text, a, b, 10);
        if (ccv < 0 || ccv > MAX_CCV) return false;
        break;
      default:
        return false;
    }
    a = b + 1;
  }
  out.minute = ms / MINUTE_MS;
  out.ccv = ccv;
  return true;
}
