/**
 * The main thread's side of the query threads: sends each summary to the thread with the fewest requests in
 * flight and resolves it with the thread's answer. A thread that dies fails its requests in flight with an
 * error naming it (the HTTP layer answers 500) and is started again; nothing else is lost, as threads hold
 * only read-only connections and caches.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CacheStats } from '../curve-cache.js';
import type { PeaksResult } from './curve-reader.js';
import type { QueryBody, QueryReply, QueryRequest, QueryThreadInit } from './query-protocol.js';

// The thread runs the same kind of file as this one: .js once built, .ts under tsx (tests, benchmarks),
// where the thread must register tsx itself: a worker does not inherit the parent's --import hooks.
const EXT = path.extname(fileURLToPath(import.meta.url));
const WORKER = new URL(`./query-worker${EXT}`, import.meta.url);

function spawnThread(init: QueryThreadInit): Worker {
  if (EXT !== '.ts') return new Worker(WORKER, { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER.href)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/** How often the first thread checkpoints the WAL (the main connection's automatic checkpoints are off). */
const CHECKPOINT_MS = 1000;

interface Slot {
  name: string;
  worker: Worker;
  /** resolves when the thread has opened its connection (its first message, id 0) */
  ready: Promise<void>;
  pending: Map<number, { resolve(r: PeaksResult | undefined): void; reject(e: Error): void }>;
  stats: CacheStats;
}

export class QueryPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly file: string,
    threads: number,
    private readonly cacheBytes: number,
    private readonly nice = 0,
  ) {
    for (let i = 0; i < threads; i++) this.slots.push(this.start(`query-${i + 1}`, i === 0 ? CHECKPOINT_MS : undefined));
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Resolves once every thread has opened its connection (servers wait for it before listening). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** The summary's peaks, computed on a query thread. */
  async userPeaks(ids: readonly string[], from: number, to: number): Promise<PeaksResult> {
    const result = await this.send({ op: 'peaks', ids, from, to });
    return result!;
  }

  /** Each thread's cache figures as of its last reply (refreshed with every query). */
  stats(): CacheStats[] {
    return this.slots.map((s) => s.stats);
  }

  /** Asks every thread for fresh figures. */
  async refreshStats(): Promise<CacheStats[]> {
    await Promise.all(this.slots.map((s) => this.post(s, { op: 'stats' })));
    return this.stats();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private send(request: QueryBody): Promise<PeaksResult | undefined> {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    return this.post(slot, request);
  }

  private post(slot: Slot, request: QueryBody): Promise<PeaksResult | undefined> {
    if (this.closing) return Promise.reject(new Error('the store is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref(); // a request in flight keeps the process alive until it is answered
      slot.worker.postMessage({ ...request, id } as QueryRequest);
    });
  }

  private start(name: string, checkpointMs?: number): Slot {
    const init: QueryThreadInit = { file: this.file, cacheBytes: this.cacheBytes, name, checkpointMs, nice: this.nice };
    const worker = spawnThread(init);
    let opened = () => {};
    const ready = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const slot: Slot = { name, worker, ready, pending: new Map(), stats: emptyStats(name, this.cacheBytes) };
    worker.on('message', (m: QueryReply) => {
      slot.stats = m.cache;
      if (m.id === 0) {
        opened();
        if (slot.pending.size === 0) worker.unref();
      }
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if (m.error !== undefined) p.reject(new Error(`${name}: ${m.error}`));
      else p.resolve(m.result);
    });
    const fail = (reason: string) => {
      opened();
      for (const p of slot.pending.values()) p.reject(new Error(`${name} stopped: ${reason}`));
      slot.pending.clear();
      if (this.closing) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots[i] = this.start(name, checkpointMs);
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => {
      if (this.slots.includes(slot)) fail(`exited with code ${code}`);
    });
    // an idle pool must not keep a process alive; a starting one must (someone may be awaiting ready())
    return slot;
  }
}

function emptyStats(name: string, maxBytes: number): CacheStats {
  return { name, bytes: 0, maxBytes, cells: 0, hits: 0, misses: 0, hitRate: 0, evictions: 0, invalidations: 0, clears: 0 };
}
