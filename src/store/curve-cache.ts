/**
 * Decoded day curves kept in memory, least recently used first out, bounded by bytes. Keyed by one
 * (kind, id, UTC day) cell with all its pull types, including cells known to be empty, so a query whose
 * cells are all cached touches no database at all. The adapter that owns it invalidates a cell on every
 * write through it and clears everything when another process has written (see SqliteStore).
 */
import { track } from '../metrics/metrics.js';
import type { DayCurve } from './day-curve.js';

export type CachedCell = { pullType: string; curve: DayCurve }[];

const ENTRY_OVERHEAD = 96;

export class CurveCache {
  private readonly cells = new Map<string, { value: CachedCell; bytes: number }>();
  private bytes = 0;
  /** lookups answered and not answered, since the cache was made (read by /metrics) */
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {
    track(this, { cacheBytes: (c) => c.size.bytes, cacheHits: (c) => c.hits, cacheMisses: (c) => c.misses });
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  static key(kind: string, id: string, day: number): string {
    return `${kind}\u0000${id}\u0000${day}`;
  }

  get(key: string): CachedCell | undefined {
    const hit = this.cells.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // re-insert: a Map iterates in insertion order, so the first key is the least recently used
    this.cells.delete(key);
    this.cells.set(key, hit);
    return hit.value;
  }

  set(key: string, value: CachedCell): void {
    if (!this.enabled) return;
    this.delete(key);
    const bytes = ENTRY_OVERHEAD + value.reduce((n, c) => n + c.curve.values.byteLength + ENTRY_OVERHEAD, 0);
    this.cells.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [k, v] of this.cells) {
      if (this.bytes <= this.maxBytes) break;
      this.cells.delete(k);
      this.bytes -= v.bytes;
    }
  }

  delete(key: string): void {
    const old = this.cells.get(key);
    if (!old) return;
    this.cells.delete(key);
    this.bytes -= old.bytes;
  }

  clear(): void {
    this.cells.clear();
    this.bytes = 0;
  }

  get size(): { cells: number; bytes: number } {
    return { cells: this.cells.size, bytes: this.bytes };
  }
}
