/** Messages between the main thread (./query-pool.ts) and its query threads (./query-worker.ts). */
import type { CacheStats } from '../curve-cache.js';
import type { PeaksResult } from './curve-reader.js';

export interface QueryThreadInit {
  file: string;
  cacheBytes: number;
  name: string;
  /** scheduling niceness of the thread (Linux: per thread) */
  nice: number;
  /** set on one thread: checkpoint the WAL this often (ms) through a read-write connection of its own */
  checkpointMs?: number;
}

export type QueryBody = { op: 'peaks'; ids: readonly string[]; from: number; to: number } | { op: 'stats' };
export type QueryRequest = QueryBody & { id: number };

/** Every reply carries the thread's cache figures, so the pool can report them without asking. */
export type QueryReply =
  | { id: number; result: PeaksResult | undefined; cache: CacheStats; error?: undefined }
  | { id: number; error: string; cache: CacheStats; result?: undefined };
