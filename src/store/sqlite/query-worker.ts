/**
 * A query thread (worker_threads): its own read-only SQLite connection and curve cache, answering summary
 * searches for the main thread (./query-pool.ts), so a heavy summary never holds the event loop that
 * acknowledges heartbeats. It follows the change log on every query (read-your-writes: a query sees every
 * transaction committed before it was sent) and every second while idle, so its cache stays small to update.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CurveCache } from '../curve-cache.js';
import { CurveReader } from './curve-reader.js';
import type { QueryReply, QueryRequest, QueryThreadInit } from './query-protocol.js';

const FOLLOW_IDLE_MS = 1000;

const init = workerData as QueryThreadInit;
const port = parentPort!;
const db = new Database(init.file, { readonly: true, fileMustExist: true });
db.pragma('cache_size = -65536');
db.pragma('mmap_size = 1073741824');
const reader = new CurveReader(db, new CurveCache(init.cacheBytes, init.name));

port.on('message', (m: QueryRequest) => {
  let reply: QueryReply;
  try {
    if (m.op === 'peaks') {
      reply = { id: m.id, result: reader.userPeaks(m.ids, m.from, m.to), cache: reader.cache.stats() };
    } else {
      reply = { id: m.id, result: undefined, cache: reader.cache.stats() };
    }
  } catch (e) {
    reply = { id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e), cache: reader.cache.stats() };
  }
  port.postMessage(reply);
});

setInterval(() => {
  try {
    reader.follow();
  } catch {
    // the next query reports the failure with its request
  }
}, FOLLOW_IDLE_MS).unref();
