/**
 * Reads curves from a SQLite connection through a curve cache: the day curves the family endpoints sum, and
 * the summary's pruned search (hour blocks first, then only the day curves of the hours it visits). Used by
 * SqliteStore's own connection and by each query thread's read-only one (./query-worker.ts).
 *
 * Promise: every read answers from a single snapshot of the database, cached cells included (exactness across
 * concurrent writers): in one read transaction that first follows the change log, or, when no other connection
 * has committed since this one last followed it (`PRAGMA data_version` unchanged) and every cell the read needs is
 * cached, from the cache alone: it then holds that snapshot already, and the read costs no statement but the
 * pragma. The pragma may be trusted for `freshnessMs` (0 by default: asked by every read; a server's main
 * connection trusts it for 1 ms, so another process's commit is seen by the reads starting 1 ms after it; this
 * connection's own writes update the cache as they commit). Cells are the stored rows merged with the open
 * minutes not yet folded (../open-minutes.ts), which every connection indexes in memory and follows with the
 * change log; cached cells are merged cells.
 */
import type Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import type { Peak, CurveSpan } from '../../domain/peak.js';
import {
  DAY_HOURS,
  dayMaximaOf,
  PeakSearch,
  SearchArena,
  searchPeaks,
  sparseHours,
  type HourSpan,
  type SparseHours,
  type SearchStats,
} from '../../domain/peak-search.js';
import type { CurveKind } from '../port.js';
import { decodeValues, type CurveValues } from '../day-curve.js';
import { BLOCK_HOURS, blockOf } from '../hour-blocks.js';
import type { Cell, CellCurve, CellKind, CurveCache } from '../curve-cache.js';
import { OpenMinutes, overlayDay, overlayHours } from '../open-minutes.js';
import { decodeOpenRows } from '../open-rows-codec.js';
import { ChangeLog } from './change-log.js';
import { dayRange } from './curve-tables.js';

const CHUNK = 500;
/**
 * Lengths an id list is padded to (repeating its last id, which IN ignores): a connection prepares a few
 * statements, not one per list length. Preparing a statement with hundreds of parameters costs about as much
 * as reading hundreds of rows, and the cold summary reads lists of every length, one per hour it sums.
 */
const LIST_LENGTHS = [1, 8, 64, CHUNK];
const TABLE: Record<CellKind, { table: string; id: string; n: string; off: string }> = {
  user: { table: 'user_curves', id: 'user_id', n: 'day', off: 'off' },
  channel: { table: 'channel_curves', id: 'channel_id', n: 'day', off: 'off' },
  hours: { table: 'user_hours', id: 'user_id', n: 'block', off: '0' },
};
const EMPTY: Cell = [];
/** Thrown by a read from the cache alone at its first miss (nothing read or cached yet), caught by read(). */
const CACHE_MISS = new Error('cache miss');

export interface PeaksResult {
  peaks: Peak[];
  search: SearchStats;
}

export class CurveReader {
  readonly log: ChangeLog;
  /** the open minutes of the snapshot last followed */
  readonly open = new OpenMinutes();
  private readonly openSince: Database.Statement;
  private readonly statements = new Map<string, Database.Statement>();
  /** the searches' buffers: this reader runs one search at a time, synchronously */
  private readonly arena = new SearchArena();
  /** runs work in one read transaction after following the change log (made once: making one costs) */
  private readonly tx: <T>(work: () => T) => T;
  private readonly dataVersion: Database.Statement;
  /** `PRAGMA data_version` before the last snapshot followed: unchanged, nobody else has committed since */
  private synced = -1;
  /** set while a read runs from the cache alone: a cell missing throws CACHE_MISS instead of reading */
  private cacheOnly = false;

  /** how long an answer of `PRAGMA data_version` is trusted, in ms (0: asked by every read) */
  private readonly freshnessMs: number;
  /** when it was last asked (performance.now()), and its answer */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private lastVersion = -1;

  constructor(
    private readonly db: Database.Database,
    readonly cache: CurveCache,
    options: { freshnessMs?: number } = {},
  ) {
    this.freshnessMs = options.freshnessMs ?? 0;
    this.log = new ChangeLog(db);
    this.openSince = db.prepare('SELECT seq, minutes FROM open_minutes WHERE seq > ? ORDER BY seq').raw();
    const tx = db.transaction((work: () => unknown) => {
      this.sync();
      return work();
    });
    this.tx = <T>(work: () => T) => tx(work) as T;
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.readOpen();
  }

  /** Runs work in a read transaction after following the change log. */
  private snapshot<T>(work: () => T, version = this.versionWithin(0)): T {
    // `version` is read before the transaction starts: commits in between are followed too, and only make the
    // next read slow
    const result = this.tx(work);
    this.synced = version;
    return result;
  }

  /**
   * Runs a read from the cache alone when nothing else has committed since the last snapshot and the cache
   * holds every cell it needs; else (a miss abandons it, uncounted) in a snapshot.
   */
  private read<T>(work: () => T): T {
    if (!this.cache.enabled || this.stale) return this.snapshot(work);
    const version = this.versionWithin(this.freshnessMs);
    if (version === this.synced) {
      const lookups = this.cache.lookups();
      this.cacheOnly = true;
      try {
        return work();
      } catch (e) {
        if (e !== CACHE_MISS) throw e;
        this.cache.uncount(lookups);
      } finally {
        this.cacheOnly = false;
      }
    }
    // the version read above, before any transaction: one pragma per read, fast or not
    return this.snapshot(work, version);
  }

  /**
   * `PRAGMA data_version`, asked again only when the last answer is older than `maxAgeMs` (0: always). Asking takes
   * a lock on the database and releases it: three system calls, a tenth of a small summary's CPU in the server.
   * This connection's one answer: curve reads ask within freshnessMs, the store's tenancy copies within theirs.
   */
  versionWithin(maxAgeMs: number): number {
    const t = performance.now();
    if (maxAgeMs > 0 && t - this.checkedAt < maxAgeMs) return this.lastVersion;
    this.checkedAt = t;
    this.lastVersion = this.dataVersion.get() as number;
    return this.lastVersion;
  }

  /**
   * Inside a transaction: follows the change log (invalidating cells other connections wrote) and the open
   * minutes (new rows appended, folded ones forgotten).
   */
  sync(): void {
    if (this.stale) {
      // after a rolled-back write: its change-log entry may have been counted as seen; start over
      this.stale = false;
      this.log.skip();
      this.cache.clear();
      this.open.clear();
      this.readOpen();
      return;
    }
    const followed = this.log.follow(this.cache, (kind, id, seq) => {
      if (kind === 'fa') this.finishFold(seq);
      else this.open.drop(kind === 'fc' ? 'c' : 'u', id);
    });
    if (followed === 'none') return;
    if (followed === 'reset') this.open.clear();
    this.readOpen();
  }

  /**
   * A fold in slices ended, its rows up to `through` deleted (every channel open then has been folded since): the
   * index forgets what they wrote, and the users' cached blocks, which open values may have raised above their
   * minutes, are read exactly again.
   */
  finishFold(through: number): void {
    for (const id of this.open.ids('u')) this.cache.invalidate('hours', id);
    this.open.forgetThrough(through);
  }

  /** After a rolled-back write: the cache and the open minutes are read again at the next sync. */
  reindexOpen(): void {
    this.stale = true;
    this.cache.clear();
  }

  private stale = false;

  private readOpen(): void {
    for (const [seq, minutes] of this.openSince.all(this.open.seen) as [number, Uint8Array | string][]) {
      decodeOpenRows(minutes, (kind, id, pullType, minute, value) => this.open.add(seq, kind, id, pullType, minute, value));
    }
  }

  /**
   * A cell read from the database as the cache holds it: users' days and blocks merged with their open
   * minutes; channels' days as stored (a push appends to a thousand channels, and patching each cached day
   * would cost more than merging the few that are read, in view()).
   */
  private merged(kind: CellKind, id: string, n: number, cell: Cell): Cell {
    return kind === 'channel' ? cell : this.view(kind, id, n, cell);
  }

  /** A cell seen with its open minutes. */
  view(kind: CellKind, id: string, n: number, cell: Cell): Cell {
    if (this.open.size === 0) return cell;
    if (kind === 'hours') {
      const open = this.open.blockHours(id, n);
      if (!open) return cell;
      const out: CellCurve[] = cell.filter((c) => !open.has(c.pullType));
      for (const [pullType, hours] of open) {
        const values = overlayHours(cell.find((c) => c.pullType === pullType)?.values, hours);
        if (values) out.push(cellCurve(kind, n, pullType, 0, values));
      }
      return out;
    }
    const open = this.open.day(kind === 'user' ? 'u' : 'c', id, n);
    if (!open) return cell;
    const out: CellCurve[] = cell.filter((c) => !open.has(c.pullType));
    for (const [pullType, minutes] of open) {
      const curve = overlayDay(
        cell.find((c) => c.pullType === pullType),
        minutes,
      );
      if (curve) out.push(cellCurve(kind, n, pullType, curve.off, curve.values));
    }
    return out;
  }

  /** Applies other connections' committed changes to the cache now (idle threads call it periodically). */
  follow(): void {
    this.snapshot(() => undefined);
  }

  /**
   * One cell (every pull type of a day, or of a block) through the cache. `keep` false leaves a miss out of
   * the cache (bulk writes would otherwise flood it with cells nobody reads); `count` false leaves the look-up
   * out of the hit rate (writers' look-ups say nothing about how well reads are served).
   */
  cell(kind: CellKind, id: string, n: number, keep = true, count = true): Cell {
    const hit = count ? this.cache.get(kind, id, n) : this.cache.peek(kind, id, n);
    if (hit) return hit;
    const { table, id: idCol, n: nCol, off } = TABLE[kind];
    const rows = this.statement(`SELECT pull_type, ${off}, data FROM ${table} WHERE ${idCol} = ? AND ${nCol} = ?`).all(id, n) as [
      string,
      number,
      Buffer,
    ][];
    const cell = this.merged(
      kind,
      id,
      n,
      rows.length === 0 ? EMPTY : rows.map(([pullType, o, data]) => cellCurve(kind, n, pullType, o, decodeValues(data))),
    );
    if (keep) this.cache.set(kind, id, n, cell);
    return cell;
  }

  /** Per-minute curves of users or channels overlapping [from, to), as segments keyed by pull type. */
  readCurves(kind: CurveKind, ids: readonly string[], from: number, to: number, pullType?: string): CurveSpan[] {
    if (ids.length === 0 || to <= from) return [];
    return this.read(() => {
      const { first, last } = dayRange(from, to);
      const segments: CurveSpan[] = [];
      const push = (id: string, day: number, stored: Cell) => {
        const cell = kind === 'channel' ? this.view('channel', id, day, stored) : stored;
        for (const c of cell) if (pullType === undefined || c.pullType === pullType) segments.push(c.minutes!);
      };
      const missing: [string, number][] = [];
      for (const id of ids) {
        for (let day = first; day <= last; day++) {
          const cell = this.cache.get(kind, id, day);
          if (cell) push(id, day, cell);
          else missing.push([id, day]);
        }
      }
      if (missing.length === 0) return segments;
      let lo = last;
      let hi = first;
      for (const [, day] of missing) {
        lo = Math.min(lo, day);
        hi = Math.max(hi, day);
      }
      const found = this.readRange(kind, [...new Set(missing.map((m) => m[0]))], lo, hi);
      for (const [id, day] of missing) {
        const cell = this.merged(kind, id, day, found.get(id)?.get(day) ?? EMPTY);
        this.cache.set(kind, id, day, cell);
        push(id, day, cell);
      }
      return segments;
    });
  }

  /**
   * The summary: the peak of the users' summed curves over [from, to) per pull type, earliest minute on ties
   * (src/domain/peak-search.ts), from the hour blocks and the day curves of the visited hours only.
   */
  userPeaks(users: readonly string[], from: number, to: number): PeaksResult {
    if (users.length === 0 || to <= from) return { peaks: [], search: { days: 0, expanded: 0, visited: 0, reads: 0 } };
    // a user counts once, however often it is named
    const ids = distinct(users);
    return this.read(() => {
      const { first, last } = dayRange(from, to);
      const b0 = blockOf(first);
      const b1 = blockOf(last);
      const blocks = this.cells('hours', ids, b0, b1);
      const hours: HourSpan[] = [];
      for (let u = 0; u < ids.length; u++) {
        for (let b = b0; b <= b1; b++) for (const c of blocks[u]![b - b0]!) hours.push(c.hours!);
      }
      const search = new PeakSearch(from, to, hours, this.arena);
      const peaks = searchPeaks(search, (hour) => {
        // only the users whose block shows viewers in that hour (in any pull type)
        const day = Math.floor(hour / DAY_HOURS);
        const b = blockOf(day);
        const at = hour - b * BLOCK_HOURS;
        const active: string[] = [];
        for (let u = 0; u < ids.length; u++) {
          for (const c of blocks[u]![b - b0]!) {
            if (c.values[at] !== 0) {
              active.push(ids[u]!);
              break;
            }
          }
        }
        return this.daySegments(active, day);
      });
      return { peaks, search: search.stats() };
    });
  }

  /** The minute segments of the users' curves on one UTC day, through the cache. */
  private daySegments(ids: readonly string[], day: number): CurveSpan[] {
    const segments: CurveSpan[] = [];
    let missing: string[] | undefined;
    for (const id of ids) {
      const cell = this.cache.get('user', id, day);
      if (!cell) (missing ??= []).push(id);
      else for (const c of cell) segments.push(c.minutes!);
    }
    if (!missing) return segments;
    const found = new Map<string, CellCurve[]>();
    this.readRows('user', missing, day, day, (id, _day, curve) => {
      const cell = found.get(id);
      if (cell) cell.push(curve);
      else found.set(id, [curve]);
    });
    for (const id of missing) {
      const cell = this.merged('user', id, day, found.get(id) ?? EMPTY);
      this.cache.set('user', id, day, cell);
      for (const c of cell) segments.push(c.minutes!);
    }
    return segments;
  }

  /** cells[i][n - n0] for ids[i] and n in [n0, n1], through the cache; misses read in chunks of ids. */
  private cells(kind: CellKind, ids: readonly string[], n0: number, n1: number): Cell[][] {
    const out: Cell[][] = [];
    const missing: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const row: Cell[] = [];
      let miss = false;
      for (let n = n0; n <= n1; n++) {
        const cell = this.cache.get(kind, id, n);
        if (!cell) miss = true;
        row.push(cell ?? EMPTY);
      }
      if (miss) missing.push(i);
      out.push(row);
    }
    if (missing.length === 0) return out;
    // found[k * width + (n - n0)]: the curves read for ids[missing[k]] and number n
    const width = n1 - n0 + 1;
    const found: (CellCurve[] | undefined)[] = new Array(missing.length * width);
    const slot = new Map<string, number>();
    for (let k = 0; k < missing.length; k++) slot.set(ids[missing[k]!]!, k);
    this.readRows(
      kind,
      missing.map((i) => ids[i]!),
      n0,
      n1,
      (id, n, curve) => {
        const at = slot.get(id)! * width + n - n0;
        const cell = found[at];
        if (cell) cell.push(curve);
        else found[at] = [curve];
      },
    );
    for (let k = 0; k < missing.length; k++) {
      const id = ids[missing[k]!]!;
      const row = out[missing[k]!]!;
      // slot, not k: an id given twice has its rows under its last slot
      const at = slot.get(id)! * width;
      for (let n = n0; n <= n1; n++) {
        if (this.cache.has(kind, id, n)) {
          row[n - n0] = this.cache.peek(kind, id, n)!;
          continue;
        }
        const cell = this.merged(kind, id, n, found[at + n - n0] ?? EMPTY);
        this.cache.set(kind, id, n, cell);
        row[n - n0] = cell;
      }
    }
    return out;
  }

  /** Rows of the ids with number in [lo, hi], grouped id -> number -> cell. */
  private readRange(kind: CellKind, ids: readonly string[], from: number, to: number): Map<string, Map<number, CellCurve[]>> {
    const found = new Map<string, Map<number, CellCurve[]>>();
    this.readRows(kind, ids, from, to, (id, n, curve) => {
      let byNumber = found.get(id);
      if (!byNumber) found.set(id, (byNumber = new Map()));
      const cell = byNumber.get(n);
      if (cell) cell.push(curve);
      else byNumber.set(n, [curve]);
    });
    return found;
  }

  /**
   * Every stored curve of the ids with number in [from, to], decoded, in chunks of ids. The summary's cold
   * path reads thousands of rows through here, so it builds nothing per row beyond the curve (callers group).
   */
  private readRows(
    kind: CellKind,
    ids: readonly string[],
    from: number,
    to: number,
    each: (id: string, n: number, curve: CellCurve) => void,
  ): void {
    if (this.cacheOnly) throw CACHE_MISS;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const args: (string | number)[] = ids.slice(i, i + CHUNK);
      const length = LIST_LENGTHS.find((l) => l >= args.length)!;
      const last = args[args.length - 1]!;
      while (args.length < length) args.push(last);
      if (from === to) args.push(from);
      else args.push(from, to);
      // an array binds as the list of anonymous parameters (no spread of hundreds of arguments)
      const rows = this.statement(rowsSql(kind, length, from === to)).all(args) as [string, number, string, number, Buffer][];
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        const num = row[1];
        each(row[0], num, cellCurve(kind, num, row[2], row[3], decodeValues(row[4])));
      }
    }
  }

  /** Prepares the summary's reads for every list length now (a query thread starting), not on a first summary. */
  prepareSummaryReads(): void {
    for (const length of LIST_LENGTHS) {
      this.statement(rowsSql('hours', length, false));
      this.statement(rowsSql('user', length, true));
    }
  }

  /** Prepared once per distinct text (IN lists differ only by their length), returning rows as arrays. */
  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql).raw();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** The read of `length` ids' rows with one number (`single`) or a range of them. */
function rowsSql(kind: CellKind, length: number, single: boolean): string {
  const { table, id, n, off } = TABLE[kind];
  const where = single ? `${n} = ?` : `${n} BETWEEN ? AND ?`;
  return `SELECT ${id}, ${n}, pull_type, ${off}, data FROM ${table} WHERE ${id} IN (${marks(length)}) AND ${where}`;
}

/**
 * A cell's curve with what reads derive from it made once, here, not on every search: a day curve's segment;
 * a block's hour segment with its day maxima (and sparse when most hours are zero).
 */
export function cellCurve(kind: CellKind, n: number, pullType: string, off: number, values: CurveValues): CellCurve {
  if (kind !== 'hours') return { pullType, off, values, minutes: { key: pullType, start: n * DAY_MINUTES + off, values } };
  const sparse = sparseHours(values);
  const days = dayMaximaOf(n * BLOCK_HOURS, values);
  const hours: HourSpan = sparse
    ? { key: pullType, start: n * BLOCK_HOURS, values, sparse, days }
    : { key: pullType, start: n * BLOCK_HOURS, values, days };
  return { pullType, off, values, hours };
}

/**
 * A cached block's curve with some hours raised (hour within the block -> its new maximum), made from the cached one
 * without scanning the block again: the values copied (widened only if a new maximum needs it), the day maxima and
 * the sparse pairs patched where the raised hours fall. Equal to cellCurve of the raised values, at a few hours'
 * cost instead of three passes over the block's 768 (a push raises a block for each of its hundreds of owners).
 */
export function raisedHours(old: CellCurve, raise: ReadonlyMap<number, number>): CellCurve {
  const span = old.hours!;
  let top = 0;
  for (const v of raise.values()) if (v > top) top = v;
  const width = top < 0x100 ? 1 : top < 0x10000 ? 2 : 4;
  const current = old.values;
  const values: CurveValues =
    current.BYTES_PER_ELEMENT >= width ? current.slice() : width === 2 ? new Uint16Array(current) : new Uint32Array(current);
  const days = span.days?.values.slice();
  for (const [h, v] of raise) {
    if (v > values[h]!) values[h] = v;
    const d = (h / DAY_HOURS) | 0;
    if (days && v > days[d]!) days[d] = v;
  }
  const sparse = span.sparse && raiseSparse(span.sparse, values, raise);
  const hours: HourSpan = { key: span.key, start: span.start, values };
  if (sparse) hours.sparse = sparse;
  if (days) hours.days = { start: span.days!.start, values: days };
  return { pullType: old.pullType, off: old.off, values, hours };
}

/** Sparse pairs after a raise: the old hours and the raised ones, merged in order; undefined once too many. */
function raiseSparse(old: SparseHours, values: CurveValues, raise: ReadonlyMap<number, number>): SparseHours | undefined {
  const fresh: number[] = [];
  for (const h of raise.keys()) if (old.at.indexOf(h) < 0) fresh.push(h);
  const n = old.at.length + fresh.length;
  if (n > Math.floor(values.length / 3)) return undefined;
  fresh.sort((a, b) => a - b);
  const at = new Uint16Array(n);
  const max = new Uint32Array(n);
  for (let i = 0, j = 0, k = 0; k < n; k++) {
    const h = j >= fresh.length || (i < old.at.length && old.at[i]! < fresh[j]!) ? old.at[i++]! : fresh[j++]!;
    at[k] = h;
    max[k] = values[h]!;
  }
  return { at, max };
}

export const marks = (count: number) => Array.from({ length: count }, () => '?').join(',');

/** The ids without repeats, in order: the list itself when it has none (a summary's users, split by the contract). */
function distinct(ids: readonly string[]): readonly string[] {
  if (ids.length > 32) return new Set(ids).size === ids.length ? ids : [...new Set(ids)];
  for (let i = 1; i < ids.length; i++) {
    if (ids.lastIndexOf(ids[i]!, i - 1) >= 0) return [...new Set(ids)];
  }
  return ids;
}
