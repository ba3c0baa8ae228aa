/**
 * A query thread (worker_threads): its own read-only SQLite connection and curve cache, answering summary
 * searches for the main thread (./query-pool.ts), so a heavy summary never holds the event loop that
 * acknowledges heartbeats. It follows the change log on every query (read-your-writes: a query sees every
 * transaction committed before it was sent) and every second while idle, so its cache stays small to update.
 *
 * One thread also checkpoints the WAL: the main connection does not (wal_autocheckpoint = 0 when query
 * threads run), because an automatic checkpoint runs inside whichever commit crosses the threshold and
 * copies megabytes there, stalling that write (a minute flush, a CDN push) and the event loop with it.
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { CurveCache } from '../curve-cache.js';
import { CurveReader } from './curve-reader.js';
import type { QueryReply, QueryRequest, QueryThreadInit } from './query-protocol.js';
import { warmUp } from './warm-up.js';

const FOLLOW_IDLE_MS = 1000;

const init = workerData as QueryThreadInit;
const port = parentPort!;
// A lower scheduling priority than the main thread (LIVE_CCV_QUERY_NICE; on Linux niceness is per thread):
// when cores are short, the event loop acknowledging heartbeats gets the CPU first and summaries take what is
// left. Lowering one's own priority needs no privilege.
if (init.nice > 0) {
  try {
    os.setPriority(0, init.nice);
  } catch {
    // not permitted here: the thread runs at the main thread's priority
  }
}
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

if (init.checkpointMs) {
  const writer = new Database(init.file, { fileMustExist: true });
  writer.pragma('busy_timeout = 1000');
  setInterval(() => {
    try {
      // PASSIVE: copies what no reader still needs, never waits for or blocks the writer
      writer.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or failing now: the next tick tries again; the WAL only grows meanwhile
    }
  }, init.checkpointMs).unref();
}

// the summary's code made hot on a synthetic store of its own before the thread reports ready (./warm-up.ts),
// so the first summary after a restart does not run in the interpreter; it never touches the real store
warmUp();
reader.prepareSummaryReads();
port.postMessage({ id: 0, result: undefined, cache: reader.cache.stats() } satisfies QueryReply);

setInterval(() => {
  try {
    reader.follow();
  } catch {
    // the next query reports the failure with its request
  }
}, FOLLOW_IDLE_MS).unref();
