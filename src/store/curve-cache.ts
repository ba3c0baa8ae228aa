/**
 * Decoded curves kept in memory, bounded by bytes, least recently used out first. A cell is one (kind, id,
 * number) with all its pull types: a UTC day of a channel or user curve, or a block of a user's hour maxima
 * (./hour-blocks.ts). Cells known to be empty are kept too, so a query whose cells are all cached touches no
 * database at all.
 *
 * Promise: the cache never answers with a value older than the last change its owner applied. The owning
 * adapter invalidates (or replaces) exactly the cells a write touches, its own writes at once and other
 * connections' through the change log (see ./sqlite/change-log.ts); a cell's values are never mutated, a
 * change installs a new cell, so a reader holding the old one keeps a consistent snapshot.
 *
 * Look-ups are two map probes (id, then number) and a stamp; eviction sorts by stamp only when the budget is
 * exceeded, and then frees a tenth of it, so its cost is spread over many insertions.
 */
import type { CurveSpan } from '../domain/peak.js';
import type { HourSpan } from '../domain/peak-search.js';
import type { CurveValues } from './day-curve.js';

export type CellKind = 'user' | 'channel' | 'hours';
export const CELL_KINDS: readonly CellKind[] = ['user', 'channel', 'hours'];

/** One stored curve of a cell: for day curves `off` is its first minute of the day, for blocks 0. */
export interface CellCurve {
  pullType: string;
  off: number;
  values: CurveValues;
  /** day curves: the curve as a segment of epoch minutes, made once with the cell, not on every read */
  minutes?: CurveSpan;
  /** blocks: the maxima as the search reads them */
  hours?: HourSpan;
}
export type Cell = readonly CellCurve[];

/** What /metrics and the benchmarks read. */
export interface CacheStats {
  name: string;
  /** estimated bytes held (values plus bookkeeping) */
  bytes: number;
  maxBytes: number;
  cells: number;
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 before the first look-up */
  hitRate: number;
  evictions: number;
  /** cells dropped because their data changed */
  invalidations: number;
  /** times the whole cache was dropped (another process wrote more than the change log keeps) */
  clears: number;
}

interface Entry {
  cell: Cell;
  bytes: number;
  used: number;
}

/** Bookkeeping bytes per cell and per curve in it (maps, objects, typed-array headers), measured roughly. */
const CELL_OVERHEAD = 120;
const CURVE_OVERHEAD = 110;
const EVICT_TO = 0.9;

export class CurveCache {
  private readonly maps: Record<CellKind, Map<string, Map<number, Entry>>> = {
    user: new Map(),
    channel: new Map(),
    hours: new Map(),
  };
  private bytes = 0;
  private cells = 0;
  private clock = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private invalidations = 0;
  private clears = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly name = 'main',
  ) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get(kind: CellKind, id: string, n: number): Cell | undefined {
    const entry = this.map(kind).get(id)?.get(n);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.used = ++this.clock;
    return entry.cell;
  }

  /** Installs a cell (replacing any), when the cache is enabled. */
  set(kind: CellKind, id: string, n: number, cell: Cell): void {
    if (!this.enabled) return;
    const ids = this.map(kind);
    let byNumber = ids.get(id);
    if (!byNumber) ids.set(id, (byNumber = new Map()));
    const old = byNumber.get(n);
    if (old) {
      this.bytes -= old.bytes;
      this.cells--;
    }
    let bytes = CELL_OVERHEAD;
    for (const c of cell) {
      const h = c.hours;
      bytes += CURVE_OVERHEAD + c.values.byteLength + (h?.sparse ? 6 * h.sparse.at.length : 0);
    }
    byNumber.set(n, { cell, bytes, used: ++this.clock });
    this.bytes += bytes;
    this.cells++;
    if (this.bytes > this.maxBytes) this.evict();
  }

  /** The hit and miss counts now, so a read abandoned and done again can take its look-ups back (uncount). */
  lookups(): readonly [hits: number, misses: number] {
    return [this.hits, this.misses];
  }

  uncount(since: readonly [hits: number, misses: number]): void {
    [this.hits, this.misses] = since;
  }

  /** The cell if held, without counting a hit or miss (writers reading what they are about to replace). */
  peek(kind: CellKind, id: string, n: number): Cell | undefined {
    return this.map(kind).get(id)?.get(n)?.cell;
  }

  /** Whether a cell is held (no effect on recency or hit counts). */
  has(kind: CellKind, id: string, n: number): boolean {
    return this.map(kind).get(id)?.has(n) ?? false;
  }

  /** Drops one cell, or every cell of the id when n is undefined. */
  invalidate(kind: CellKind, id: string, n?: number): void {
    const byNumber = this.maps[kind].get(id);
    if (!byNumber) return;
    if (n === undefined) {
      for (const e of byNumber.values()) this.drop(e);
      this.invalidations += byNumber.size;
      this.maps[kind].delete(id);
      return;
    }
    const e = byNumber.get(n);
    if (!e) return;
    this.drop(e);
    this.invalidations++;
    byNumber.delete(n);
    if (byNumber.size === 0) this.maps[kind].delete(id);
  }

  clear(): void {
    for (const kind of CELL_KINDS) this.maps[kind].clear();
    this.bytes = 0;
    this.cells = 0;
    this.clears++;
  }

  stats(): CacheStats {
    const lookups = this.hits + this.misses;
    return {
      name: this.name,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      cells: this.cells,
      hits: this.hits,
      misses: this.misses,
      hitRate: lookups === 0 ? 0 : this.hits / lookups,
      evictions: this.evictions,
      invalidations: this.invalidations,
      clears: this.clears,
    };
  }

  /** A switch rather than maps[kind]: a keyed property load with a variable key is slower on the hot path. */
  private map(kind: CellKind): Map<string, Map<number, Entry>> {
    return kind === 'user' ? this.maps.user : kind === 'hours' ? this.maps.hours : this.maps.channel;
  }

  private drop(e: Entry): void {
    this.bytes -= e.bytes;
    this.cells--;
  }

  /** Frees the least recently used cells until the cache is at 90% of its budget. */
  private evict(): void {
    const all: { kind: CellKind; id: string; n: number; used: number }[] = [];
    for (const kind of CELL_KINDS) {
      for (const [id, byNumber] of this.maps[kind]) for (const [n, e] of byNumber) all.push({ kind, id, n, used: e.used });
    }
    all.sort((a, b) => a.used - b.used);
    const target = this.maxBytes * EVICT_TO;
    for (const { kind, id, n } of all) {
      if (this.bytes <= target) break;
      const byNumber = this.maps[kind].get(id)!;
      this.drop(byNumber.get(n)!);
      byNumber.delete(n);
      if (byNumber.size === 0) this.maps[kind].delete(id);
      this.evictions++;
    }
  }
}
