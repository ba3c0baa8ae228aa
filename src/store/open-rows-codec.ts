/**
 * The stored form of one write's open minutes (a row of `open_minutes`). Pure.
 *
 * Binary and columnar: a header of four u32 (format 1, rows, strings, their bytes), then the columns: each row's
 * id (u32, a string's index), epoch minute (u32), value (u32) and pull type (u32, a string's index), the strings'
 * lengths (u16), each row's kind (u8, 0 channel, 1 user), and the strings' bytes (ids and pull types are ASCII:
 * docs/api.md; an id is stored again wherever it is not the row before's, a pull type once). A CDN's push of 1,014 channels writes 1,264 rows: 35 KB, written from typed arrays,
 * where the JSON form it replaces (`[["c","1000000101","cdn",28437824,17],...]`) was 50 KB built from 1,264
 * arrays, and every connection parsed it back. Rows written as JSON before (text) are still read.
 */
import type { OpenKind, OpenRow } from './open-minutes.js';

const FORMAT = 1;
const HEADER = 16;
/** ids and pull types are checked ASCII long before they get here; one byte a character */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/** The stored form of rows (in order). */
export function encodeOpenRows(rows: readonly OpenRow[]): Buffer {
  const n = rows.length;
  // an id is written again wherever it is not the row before's (rows come grouped by id: a push names each of its
  // thousand channels once), a pull type once: no map of every id, whose growth a push would allocate
  const pullIndex = new Map<string, number>();
  const strings: string[] = [];
  let bytes = 0;
  const add = (s: string): number => {
    strings.push(s);
    bytes += s.length;
    return strings.length - 1;
  };
  const ids = new Uint32Array(n);
  const pulls = new Uint32Array(n);
  let lastId = '';
  let lastIdIndex = -1;
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    if (row.id !== lastId || lastIdIndex < 0) lastIdIndex = add((lastId = row.id));
    let p = pullIndex.get(row.pullType);
    if (p === undefined) pullIndex.set(row.pullType, (p = add(row.pullType)));
    ids[r] = lastIdIndex;
    pulls[r] = p;
  }
  const s = strings.length;
  // columns in falling width, each at an offset its width divides
  const at = layout(n, s);
  const out = Buffer.alloc(at.strings + bytes);
  const header = new Uint32Array(out.buffer, out.byteOffset, 4);
  header[0] = FORMAT;
  header[1] = n;
  header[2] = s;
  header[3] = bytes;
  new Uint32Array(out.buffer, out.byteOffset + at.ids, n).set(ids);
  const minutes = new Uint32Array(out.buffer, out.byteOffset + at.minutes, n);
  const values = new Uint32Array(out.buffer, out.byteOffset + at.values, n);
  const kinds = new Uint8Array(out.buffer, out.byteOffset + at.kinds, n);
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    minutes[r] = row.minute;
    values[r] = row.value;
    kinds[r] = row.kind === 'c' ? 0 : 1;
  }
  new Uint32Array(out.buffer, out.byteOffset + at.pulls, n).set(pulls);
  const lengths = new Uint16Array(out.buffer, out.byteOffset + at.lengths, s);
  let p = at.strings;
  for (let i = 0; i < s; i++) {
    const text = strings[i]!;
    if (text.length > 0xffff || BEYOND_LATIN1.test(text))
      throw new RangeError(`an open row names an id that cannot be stored: ${text.slice(0, 80)}`);
    lengths[i] = text.length;
    p += out.write(text, p, 'latin1');
  }
  return out;
}

/** Calls `each` for every row of a stored form (binary, or the JSON text of earlier versions), in order. */
export function decodeOpenRows(
  data: Uint8Array | string,
  each: (kind: OpenKind, id: string, pullType: string, minute: number, value: number) => void,
): void {
  if (typeof data === 'string') {
    for (const [kind, id, pullType, minute, value] of JSON.parse(data) as [OpenKind, string, string, number, number][]) {
      each(kind, id, pullType, minute, value);
    }
    return;
  }
  // SQLite hands blobs back at any byte offset: copied once when a typed view could not start there
  const buf = data.byteOffset % 4 === 0 ? data : Uint8Array.from(data);
  const header = new Uint32Array(buf.buffer, buf.byteOffset, 4);
  if (buf.length < HEADER || header[0] !== FORMAT) throw new Error(`open minutes of an unknown format (${header[0]})`);
  const n = header[1]!;
  const s = header[2]!;
  const at = layout(n, s);
  if (buf.length !== at.strings + header[3]!) throw new Error('open minutes cut short');
  const ids = new Uint32Array(buf.buffer, buf.byteOffset + at.ids, n);
  const minutes = new Uint32Array(buf.buffer, buf.byteOffset + at.minutes, n);
  const values = new Uint32Array(buf.buffer, buf.byteOffset + at.values, n);
  const pulls = new Uint32Array(buf.buffer, buf.byteOffset + at.pulls, n);
  const kinds = new Uint8Array(buf.buffer, buf.byteOffset + at.kinds, n);
  const lengths = new Uint16Array(buf.buffer, buf.byteOffset + at.lengths, s);
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const strings: string[] = new Array(s);
  for (let i = 0, p = at.strings; i < s; p += lengths[i++]!) strings[i] = text.toString('latin1', p, p + lengths[i]!);
  for (let r = 0; r < n; r++) {
    each(kinds[r] === 0 ? 'c' : 'u', strings[ids[r]!]!, strings[pulls[r]!]!, minutes[r]!, values[r]!);
  }
}

/** Byte offsets of the columns for n rows and s strings. */
function layout(n: number, s: number) {
  const ids = HEADER;
  const minutes = ids + 4 * n;
  const values = minutes + 4 * n;
  const pulls = values + 4 * n;
  const lengths = pulls + 4 * n;
  const kinds = lengths + 2 * s;
  return { ids, minutes, values, pulls, lengths, kinds, strings: kinds + n };
}
