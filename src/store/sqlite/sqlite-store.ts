import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import type { Peak, CurveSpan } from '../../domain/peak.js';
import { track } from '../../metrics/metrics.js';
import { CurveCache, type CacheStats } from '../curve-cache.js';
import { moveChannel, writeGroups } from '../curve-writes.js';
import { decodeValues } from '../day-curve.js';
import { MinuteBatch, type DayUpdates } from '../group-minutes.js';
import { HOUR_BLOCKS_VERSION, MIGRATIONS_TABLE, pending } from '../migrations.js';
import { FencedError, newerThan, type FenceToken } from '../fence.js';
import { appPatchColumns, toApp, type AppRow } from '../rows.js';
import { CurveReader } from './curve-reader.js';
import { backfillBlocks } from './curve-tables.js';
import { CurveWriter, WRITE_THROUGH_MAX_GROUPS } from './curve-writer.js';
import { QueryPool } from './query-pool.js';
import {
  ConflictError,
  type App,
  type AppPatch,
  type Channel,
  type ChannelMinute,
  type CurveKind,
  type NewApp,
  type Store,
  type StoredCredentials,
  type User,
} from '../port.js';

const READ_CHUNK = 500;
/** Summaries of at most this many user-days run on the calling thread even when query threads exist. */
export const INLINE_USER_DAYS = 1000;
const FRESHNESS_MS = 10;
/**
 * A server's main connection asks SQLite whether another connection (another process: a CLI import into the same
 * data dir) has committed at most this often, in its curve reads: another process's commit is seen by the reads
 * that start more than this after it. Asking costs three system calls, a tenth of a small signed summary's CPU.
 * Writes through the store are seen at once, and query threads ask on every read.
 */
export const SERVING_CURVE_FRESHNESS_MS = 1;
const TENANCY_CACHE_LIMIT = 100_000;

const CHANNEL_SELECT = `SELECT c.channel_id AS channelId, c.user_id AS userId, u.app_id AS appId,
  c.created_at AS createdAt FROM channels c JOIN users u ON u.user_id = c.user_id`;

export interface SqliteStoreOptions {
  /** bytes of decoded curves kept in memory, over all caches of the store (0 disables caching); default 64 MiB */
  cacheBytes?: number;
  /**
   * Threads computing summaries off the main event loop, each with its own read-only connection and cache
   * (./query-pool.ts); 0 (the default) computes them on the calling thread. Ignored for ':memory:'.
   */
  queryThreads?: number;
  /** summaries of at most this many user-days stay on the calling thread (default INLINE_USER_DAYS) */
  inlineUserDays?: number;
  /** scheduling niceness of the query threads (default 0: the main thread's priority) */
  queryNice?: number;
  /** batches of at most this many rows are appended as open minutes (default OPEN_MAX_ROWS) */
  openMaxRows?: number;
  /** open minutes folded into the day curves once this many are held (default FOLD_ROWS) */
  foldRows?: number;
  /** ... or once the oldest is this old, in ms (default FOLD_AGE_MS) */
  foldAgeMs?: number;
  /** channels whose open minutes one background fold step writes at most (default FOLD_SLICE_CHANNELS) */
  foldSliceChannels?: number;
  /** the event loop time one background fold step aims at, in ms (default FOLD_STEP_MS) */
  foldStepMs?: number;
  /**
   * how long the main connection's curve reads trust that no other connection has committed, in ms, before asking
   * SQLite again (default 0: every read asks; a server: SERVING_CURVE_FRESHNESS_MS)
   */
  curveFreshnessMs?: number;
}

/** Batches of at most this many rows are appended as open minutes (../open-minutes.ts); larger ones write curves. */
const OPEN_MAX_ROWS = 20_000;
/** Open minutes held before a fold: ~75 one-minute pushes of 1,000 channels and their ~300 owners. */
const FOLD_ROWS = 100_000;
const FOLD_AGE_MS = 60 * 60_000;
const FOLD_CHECK_MS = 60_000;
/** A background fold step writes the open minutes of at most this many channels (one transaction). */
const FOLD_SLICE_CHANNELS = 512;
/**
 * ... and of as many as take about this long: a step holds the event loop, and a request arriving meanwhile (a
 * CDN's push, which waits on several turns of the loop) waits for it. Sized from the steps before it, as the
 * cost per channel varies tenfold (the first fold of a process runs before its code is optimized).
 */
const FOLD_STEP_MS = 2;
/** A fold in slices under way: the open rows up to `through`, the channels not folded yet, the whole folds so far. */
interface FoldCycle {
  through: number;
  channels: string[];
  folds: number;
}

/** The first step of a cycle: small, as nothing is known yet of what a channel costs. */
const FOLD_FIRST_SLICE = 8;

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL: a committed minute survives a crash). Curves are
 * read through ./curve-reader.ts, written through ./curve-writer.ts, and summaries run on query threads when
 * configured.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly stmt;

  private readonly reader: CurveReader;
  private readonly writer: CurveWriter;
  private readonly pool: QueryPool | undefined;
  private readonly inlineUserDays: number;
  private readonly untrack: () => void;
  /** read-through copies of apps, of users' apps and of channels' owners, for per-request checks and writes */
  private readonly apps = new Map<string, App>();
  private readonly userApps = new Map<string, string>();
  private readonly owners = new Map<string, string | null>();
  private readonly openMaxRows: number;
  private readonly foldRows: number;
  private readonly foldAgeMs: number;
  private readonly foldSliceChannels: number;
  private readonly foldStepMs: number;
  /** channels the next fold step writes: sized from the last step's time per channel */
  private nextSlice = FOLD_FIRST_SLICE;
  private readonly foldTimer: NodeJS.Timeout;
  private foldQueued = false;
  /** the fold in slices under way: the rows it ends with, the channels left, and the writer's folds at its start */
  private cycle: FoldCycle | undefined;
  /** `PRAGMA data_version` when the tenancy copies were last made current */
  private seenVersion: number;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    // Larger pages keep a full day curve (up to 5.8 KB) inside its row instead of on overflow pages;
    // only possible before the file's first table exists.
    const fresh = this.db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() === 0;
    if (fresh) this.db.pragma('page_size = 16384');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('cache_size = -65536');
    this.db.pragma('mmap_size = 1073741824');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    const cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    const threads = file === ':memory:' ? 0 : (options.queryThreads ?? 0);
    // the budget is shared evenly: the main thread's cache serves the family endpoints and the writers
    const share = Math.floor(cacheBytes / (threads + 1));
    this.reader = new CurveReader(this.db, new CurveCache(share, 'main'), {
      freshnessMs: options.curveFreshnessMs ?? 0,
    });
    // data_version changes when another connection (a CLI import, a second process) commits
    this.seenVersion = this.reader.versionWithin(0);
    this.writer = new CurveWriter(this.db, this.reader, (channelId) => this.ownerOf(channelId));
    this.pool = threads > 0 ? new QueryPool(path.resolve(file), threads, share, options.queryNice ?? 0) : undefined;
    this.inlineUserDays = options.inlineUserDays ?? INLINE_USER_DAYS;
    this.openMaxRows = options.openMaxRows ?? OPEN_MAX_ROWS;
    this.foldRows = options.foldRows ?? FOLD_ROWS;
    this.foldAgeMs = options.foldAgeMs ?? FOLD_AGE_MS;
    this.foldSliceChannels = options.foldSliceChannels ?? FOLD_SLICE_CHANNELS;
    this.foldStepMs = options.foldStepMs ?? FOLD_STEP_MS;
    this.foldTimer = setInterval(() => this.foldSoon(), Math.min(FOLD_CHECK_MS, this.foldAgeMs)).unref();
    // a query thread checkpoints the WAL in the background instead of the commit that crosses the threshold
    if (this.pool) this.db.pragma('wal_autocheckpoint = 0');
    // /metrics reads every cache of the store, the query threads' as of their last reply
    const total = (field: 'bytes' | 'hits' | 'misses') => (s: SqliteStore) => s.cacheStats().reduce((n, c) => n + c[field], 0);
    this.untrack = track(this, { cacheBytes: total('bytes'), cacheHits: total('hits'), cacheMisses: total('misses') });

    this.stmt = {
      insertApp: this.db.prepare(
        `INSERT INTO apps (app_id, app_secret, name, enabled, rate_limit, ingest_token, created_at)
         VALUES (@appId, @appSecret, @name, @enabled, @rateLimit, @ingestTokenHash, @createdAt)`,
      ),
      getApp: this.db.prepare('SELECT * FROM apps WHERE app_id = ?'),
      swapCredentials: this.db.prepare(
        `UPDATE apps SET app_secret = ?, ingest_token = ?
         WHERE app_id = ? AND app_secret = ? AND ingest_token IS ?`,
      ),
      listApps: this.db.prepare('SELECT * FROM apps ORDER BY created_at, app_id'),
      insertUser: this.db.prepare('INSERT INTO users (user_id, app_id, created_at) VALUES (?, ?, ?)'),
      getUser: this.db.prepare('SELECT user_id AS userId, app_id AS appId, created_at AS createdAt FROM users WHERE user_id = ?'),
      listUsers: this.db.prepare(
        'SELECT user_id AS userId, app_id AS appId, created_at AS createdAt FROM users WHERE app_id = ? ORDER BY user_id',
      ),
      deleteUser: this.db.prepare('DELETE FROM users WHERE user_id = ?'),
      deleteUserChannels: this.db.prepare('DELETE FROM channels WHERE user_id = ?'),
      insertChannel: this.db.prepare('INSERT INTO channels (channel_id, user_id, created_at) VALUES (?, ?, ?)'),
      getChannel: this.db.prepare(`${CHANNEL_SELECT} WHERE c.channel_id = ?`),
      listChannels: this.db.prepare(`${CHANNEL_SELECT} WHERE c.user_id = ? ORDER BY c.channel_id`),
      allChannels: this.db.prepare(`${CHANNEL_SELECT} ORDER BY c.channel_id`),
      deleteChannel: this.db.prepare('DELETE FROM channels WHERE channel_id = ?'),
      channelOwner: this.db.prepare('SELECT user_id FROM channels WHERE channel_id = ?').pluck(),
      channelCurves: this.db.prepare('SELECT pull_type, day, off, data FROM channel_curves WHERE channel_id = ?').raw(),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      getFence: this.db.prepare('SELECT generation, epoch, progress FROM ingest_fences WHERE key = ?'),
      claimFence: this.db.prepare(
        `INSERT INTO ingest_fences (key, generation, epoch) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET generation = excluded.generation, epoch = excluded.epoch`,
      ),
      saveFenceProgress: this.db.prepare('UPDATE ingest_fences SET progress = ? WHERE key = ?'),
      // a background fold step commits without an fsync of its own (foldSlice says why); every other write syncs
      syncNormal: this.db.prepare('PRAGMA synchronous = NORMAL'),
      syncFull: this.db.prepare('PRAGMA synchronous = FULL'),
    };
  }

  /** Answers once the database answers and every query thread has opened its connection. */
  async ping(): Promise<void> {
    this.cached('SELECT 1').get();
    await this.pool?.ready();
  }

  /**
   * Drops the tenancy copies when another connection has committed. PRAGMA data_version costs a statement,
   * so it is asked at most once per FRESHNESS_MS, unless `now` (writers, inside their transaction, where it
   * must be exact): another process's changes (a rotated secret, a moved channel) are seen within that, this
   * connection's own at once (they update the copies directly). Curve caches follow the change log instead.
   */
  private fresh(now = false): void {
    const version = this.reader.versionWithin(now ? 0 : FRESHNESS_MS);
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.apps.clear();
      this.userApps.clear();
      this.owners.clear();
    }
  }

  private ownerOf(channelId: string): string | undefined {
    let owner = this.owners.get(channelId);
    if (owner === undefined) {
      owner = (this.stmt.channelOwner.get(channelId) as string | undefined) ?? null;
      if (this.owners.size >= TENANCY_CACHE_LIMIT) this.owners.clear();
      this.owners.set(channelId, owner);
    }
    return owner ?? undefined;
  }

  /** Figures of every curve cache of the store: the main thread's, then each query thread's. */
  cacheStats(): CacheStats[] {
    return [this.reader.cache.stats(), ...(this.pool?.stats() ?? [])];
  }

  async close(): Promise<void> {
    clearInterval(this.foldTimer);
    this.untrack();
    await this.pool?.close();
    if (this.db.open) this.db.close();
  }

  async createApp(app: NewApp): Promise<App> {
    const row = {
      appId: app.appId,
      appSecret: app.appSecret,
      name: app.name,
      enabled: app.enabled === false ? 0 : 1,
      rateLimit: app.rateLimit ?? null,
      ingestTokenHash: app.ingestTokenHash ?? null,
      createdAt: Date.now(),
    };
    try {
      this.stmt.insertApp.run(row);
    } catch (e) {
      throw uniqueToConflict(e, `application ${app.appId} already exists`);
    }
    return toApp(this.stmt.getApp.get(app.appId) as AppRow);
  }

  async getApp(appId: string): Promise<App | undefined> {
    this.fresh();
    const hit = this.apps.get(appId);
    if (hit) return hit;
    const row = this.stmt.getApp.get(appId) as AppRow | undefined;
    if (!row) return undefined; // misses are not cached: unknown ids must not grow memory
    const app = toApp(row);
    if (this.apps.size >= TENANCY_CACHE_LIMIT) this.apps.clear();
    this.apps.set(appId, app);
    return app;
  }

  async listApps(): Promise<App[]> {
    return (this.stmt.listApps.all() as AppRow[]).map(toApp);
  }

  async updateApp(appId: string, patch: AppPatch): Promise<App | undefined> {
    this.apps.delete(appId);
    const pairs = appPatchColumns(patch, (field, v) => (field === 'enabled' ? (v ? 1 : 0) : v));
    const sets = pairs.map(([col]) => `${col} = ?`);
    const values = pairs.map(([, v]) => v);
    if (sets.length > 0) this.db.prepare(`UPDATE apps SET ${sets.join(', ')} WHERE app_id = ?`).run(...values, appId);
    return this.getApp(appId);
  }

  async swapCredentials(appId: string, expected: StoredCredentials, next: StoredCredentials): Promise<boolean> {
    this.apps.delete(appId);
    const res = this.stmt.swapCredentials.run(
      next.appSecret,
      next.ingestTokenHash,
      appId,
      expected.appSecret,
      expected.ingestTokenHash,
    );
    return res.changes > 0;
  }

  async addUser(appId: string, userId: string): Promise<User> {
    try {
      this.stmt.insertUser.run(userId, appId, Date.now());
    } catch (e) {
      throw uniqueToConflict(e, `user ${userId} already exists`);
    }
    return this.stmt.getUser.get(userId) as User;
  }

  async getUser(userId: string): Promise<User | undefined> {
    return this.stmt.getUser.get(userId) as User | undefined;
  }

  async listUsers(appId: string): Promise<User[]> {
    return this.stmt.listUsers.all(appId) as User[];
  }

  async ownedUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    this.fresh();
    const owned = new Set<string>();
    const unknown: string[] = [];
    for (const id of userIds) {
      const app = this.userApps.get(id);
      if (app === undefined) unknown.push(id);
      else if (app === appId) owned.add(id);
    }
    // by primary key: an app's other users are never scanned
    for (let i = 0; i < unknown.length; i += READ_CHUNK) {
      const chunk = unknown.slice(i, i + READ_CHUNK);
      const rows = this.cached(`SELECT user_id, app_id FROM users WHERE user_id IN (${marks(chunk.length)})`)
        .raw()
        .all(...chunk) as [string, string][];
      if (this.userApps.size + rows.length > TENANCY_CACHE_LIMIT) this.userApps.clear();
      for (const [user, app] of rows) {
        this.userApps.set(user, app);
        if (app === appId) owned.add(user);
      }
    }
    return owned;
  }

  async removeUser(userId: string): Promise<boolean> {
    // writing(): a failed commit after the fold of the open minutes re-reads them
    return this.writing(() =>
      this.db.transaction(() => {
        this.writer.run(true, () => {
          this.writer.foldOpen();
          this.writer.dropUser(userId);
        });
        this.userApps.delete(userId);
        this.owners.clear();
        this.stmt.deleteUserChannels.run(userId);
        return this.stmt.deleteUser.run(userId).changes > 0;
      })(),
    );
  }

  async addChannel(userId: string, channelId: string): Promise<Channel> {
    this.writing(() =>
      this.db.transaction(() => {
        // open minutes are folded under the owner they were written for (nobody), before the channel has one
        this.writer.run(true, () => this.writer.foldOpen());
        try {
          this.stmt.insertChannel.run(channelId, userId, Date.now());
        } catch (e) {
          throw uniqueToConflict(e, `channel ${channelId} already exists`);
        }
        this.moveChannelCurves(channelId, userId, 1);
        this.owners.set(channelId, userId);
      })(),
    );
    return (await this.getChannel(channelId))!;
  }

  async getChannel(channelId: string): Promise<Channel | undefined> {
    return this.stmt.getChannel.get(channelId) as Channel | undefined;
  }

  async listChannels(userId: string): Promise<Channel[]> {
    return this.stmt.listChannels.all(userId) as Channel[];
  }

  async listAllChannels(): Promise<Channel[]> {
    return this.stmt.allChannels.all() as Channel[];
  }

  async existingChannels(channelIds: readonly string[]): Promise<Set<string>> {
    // channels whose owner is already known here answer without a query (a CDN pushing every minute)
    this.fresh();
    const found = new Set<string>();
    const unknown: string[] = [];
    for (const id of channelIds) {
      const owner = this.owners.get(id);
      if (typeof owner === 'string') found.add(id);
      else unknown.push(id);
    }
    for (let i = 0; i < unknown.length; i += READ_CHUNK) {
      const chunk = unknown.slice(i, i + READ_CHUNK);
      const rows = this.cached(`SELECT channel_id FROM channels WHERE channel_id IN (${marks(chunk.length)})`)
        .pluck()
        .all(...chunk) as string[];
      for (const id of rows) found.add(id);
    }
    return found;
  }

  async ownedChannels(appId: string, channelIds: readonly string[]): Promise<Set<string>> {
    const owned = new Set<string>();
    for (let i = 0; i < channelIds.length; i += READ_CHUNK) {
      const chunk = channelIds.slice(i, i + READ_CHUNK);
      const rows = this.cached(
        `SELECT c.channel_id FROM channels c JOIN users u ON u.user_id = c.user_id
         WHERE u.app_id = ? AND c.channel_id IN (${marks(chunk.length)})`,
      )
        .pluck()
        .all(appId, ...chunk) as string[];
      for (const id of rows) owned.add(id);
    }
    return owned;
  }

  async removeChannel(channelId: string): Promise<boolean> {
    return this.writing(() =>
      this.db.transaction(() => {
        const owner = this.stmt.channelOwner.get(channelId) as string | undefined;
        if (owner === undefined) return false;
        this.moveChannelCurves(channelId, owner, -1);
        this.stmt.deleteChannel.run(channelId);
        this.owners.set(channelId, null);
        return true;
      })(),
    );
  }

  /** Adds (or subtracts) all of a channel's stored curves to its owner's, when ownership changes. */
  private moveChannelCurves(channelId: string, userId: string, sign: 1 | -1): void {
    this.writer.run(true, () => {
      // the stored curves are read below: fold the open minutes into them first
      this.writer.foldOpen();
      const curves = (this.stmt.channelCurves.all(channelId) as [string, number, number, Buffer][]).map(
        ([pullType, day, off, data]) => ({ pullType, day, curve: { off, values: decodeValues(data) } }),
      );
      moveChannel(curves, userId, sign, this.writer);
    });
  }

  async setChannelMinutes(rows: readonly ChannelMinute[]): Promise<void> {
    if (rows.length > 0) await this.setMinuteBatch(MinuteBatch.of(rows));
  }

  async setMinuteBatch(batch: MinuteBatch): Promise<void> {
    if (batch.rows === 0) return;
    const groups = batch.groups();
    this.writing(() =>
      this.db
        .transaction(() => {
          this.fresh(true);
          this.writeCurves(batch.rows, groups);
        })
        .immediate(),
    );
  }

  /**
   * Inside a write transaction: a small batch appended as open minutes; a large one (after folding the open
   * minutes) through the day curves directly.
   */
  private writeCurves(rows: number, groups: DayUpdates[]): void {
    if (rows <= this.openMaxRows) {
      this.writer.run(true, () => this.writer.appendOpen(groups));
      return;
    }
    this.writer.run(groups.length <= WRITE_THROUGH_MAX_GROUPS, () => {
      this.writer.foldOpen();
      writeGroups(groups, this.writer);
    });
  }

  /** Runs a write; if it fails (rolled back, commit included), the cache and open minutes are read again. */
  private writing<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      this.reader.reindexOpen();
      throw e;
    } finally {
      if (this.reader.open.size >= this.foldRows) this.foldSoon();
    }
  }

  /**
   * Folds the open minutes into the day curves, user curves and hour blocks now (one write transaction).
   * Returns the minutes folded. The store folds on its own, in slices (foldSlice), once FOLD_ROWS are open
   * or the oldest is FOLD_AGE_MS old.
   */
  async foldOpenMinutes(): Promise<number> {
    return this.writing(() =>
      this.db
        .transaction(() => {
          this.fresh(true);
          return this.writer.run(true, () => this.writer.foldOpen());
        })
        .immediate(),
    );
  }

  /**
   * One step of a fold in slices: the open minutes of the next channels (as many as take about foldStepMs, at most
   * foldSliceChannels) written into the stored curves (open rows kept), or, once every channel open at the start is done, the rows up to the start
   * deleted. Returns whether steps remain. Each step is one short write transaction, so requests interleave.
   *
   * A step commits with synchronous NORMAL: written to the WAL, not synced (a third of a step's time was its
   * fsync). No acknowledged write depends on it: a step leaves every merged curve as it was, and the open rows it
   * folded stay until the last step deletes them. A crash may lose the steps since the last synced commit (WAL
   * replay keeps a prefix of the transactions, so never a later step without the earlier ones); what they folded is
   * still open and is folded again, which sets the same values. The next synced commit (any push) syncs them too.
   */
  async foldSlice(): Promise<boolean> {
    const size = Math.min(this.nextSlice, this.foldSliceChannels);
    const started = performance.now();
    this.stmt.syncNormal.run();
    let step: { cycle: FoldCycle; done: number } | undefined;
    try {
      step = this.writing(() =>
        this.db
          .transaction(() => {
            this.fresh(true);
            return this.writer.run(true, () => {
              const open = this.reader.open;
              let cycle = this.cycle;
              // a fold of everything (a large write, an ownership change) since the start: begin again
              if (cycle && cycle.folds !== this.writer.folds) cycle = undefined;
              if (!cycle) {
                if (open.size === 0) return undefined;
                cycle = { through: open.seen, channels: open.ids('c'), folds: this.writer.folds };
              }
              const slice = cycle.channels.slice(0, size);
              if (slice.length > 0) this.writer.foldChannels(slice);
              else this.writer.finishFold(cycle.through);
              return { cycle, done: slice.length };
            });
          })
          .immediate(),
      );
    } finally {
      if (this.db.open) this.stmt.syncFull.run();
    }
    // committed: only now is the slice done (a failed step is tried again)
    if (!step || step.done === 0) {
      this.cycle = undefined;
      return false;
    }
    step.cycle.channels.splice(0, step.done);
    this.cycle = step.cycle;
    if (step.done === size) {
      // the next step sized to take foldStepMs at this step's pace, changing at most twofold a step (one step
      // slowed by a collection or a busy machine does not shrink the next ones to nothing)
      const fit = Math.floor((size * this.foldStepMs) / Math.max(performance.now() - started, 0.01));
      this.nextSlice = Math.max(1, Math.ceil(size / 2), Math.min(2 * size, fit));
    }
    return true;
  }

  private foldSoon(): void {
    const open = this.reader.open;
    if (this.foldQueued || open.size === 0) return;
    if (!this.cycle && open.size < this.foldRows && Date.now() - open.since < this.foldAgeMs) return;
    this.foldQueued = true;
    const step = () => {
      if (!this.db.open) {
        this.foldQueued = false;
        return;
      }
      this.foldSlice().then(
        (more) => {
          if (more) setImmediate(step);
          else this.foldQueued = false;
        },
        () => {
          // storage unavailable now: the open minutes stay where they are (in the database), the next check retries
          this.foldQueued = false;
        },
      );
    };
    setImmediate(step);
  }

  async claimFence(token: FenceToken): Promise<string | undefined> {
    return this.db
      .transaction(() => {
        const row = this.stmt.getFence.get(token.key) as
          | { generation: number; epoch: number; progress: string | null }
          | undefined;
        if (row && newerThan(row, token)) throw new FencedError(token.key);
        this.stmt.claimFence.run(token.key, token.generation, token.epoch);
        return row?.progress ?? undefined;
      })
      .immediate();
  }

  /** setChannelMinutes behind the fence check, the progress saved in the same transaction. */
  async setChannelMinutesFenced(rows: readonly ChannelMinute[], token: FenceToken, progress: string): Promise<void> {
    const groups = MinuteBatch.of(rows).groups();
    this.writing(() =>
      this.db
        .transaction(() => {
          const row = this.stmt.getFence.get(token.key) as { generation: number; epoch: number } | undefined;
          if (!row || row.generation !== token.generation || row.epoch !== token.epoch) throw new FencedError(token.key);
          this.stmt.saveFenceProgress.run(progress, token.key);
          if (groups.length === 0) return;
          this.fresh(true);
          this.writeCurves(rows.length, groups);
        })
        .immediate(),
    );
  }

  async listFenceProgress(keyPrefix: string): Promise<Map<string, string | undefined>> {
    const rows = this.cached('SELECT key, progress FROM ingest_fences WHERE substr(key, 1, ?) = ?').all(
      keyPrefix.length,
      keyPrefix,
    ) as { key: string; progress: string | null }[];
    return new Map(rows.map((r) => [r.key, r.progress ?? undefined]));
  }

  async readCurves(kind: CurveKind, ids: readonly string[], from: number, to: number, pullType?: string): Promise<CurveSpan[]> {
    return this.reader.readCurves(kind, ids, from, to, pullType);
  }

  /**
   * Small summaries run here, on the calling thread: warm, they cost less than the round trip to a query
   * thread (docs/benchmarks.md); larger ones go to a query thread so the event loop stays free.
   */
  async userPeaks(userIds: readonly string[], from: number, to: number): Promise<Peak[]> {
    const userDays = userIds.length * Math.ceil((to - from) / DAY_MINUTES);
    if (this.pool && userDays > this.inlineUserDays) return (await this.pool.userPeaks(userIds, from, to)).peaks;
    return this.reader.userPeaks(userIds, from, to).peaks;
  }

  private readonly statements = new Map<string, Database.Statement>();
  /** Prepares a statement once per distinct text (IN lists differ only by their length). */
  private cached(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.stmt.getMeta.pluck().get(key) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.stmt.setMeta.run(key, value);
  }
}

/** Applies the missing migrations in one immediate transaction, so processes opening the file at once take turns. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec(MIGRATIONS_TABLE);
    const applied = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of pending(applied)) {
      for (const sql of m.sql.sqlite) db.exec(sql);
      if (m.version === HOUR_BLOCKS_VERSION) backfillBlocks(db);
      record.run(m.version, m.name, Date.now());
    }
  }).immediate();
}

const marks = (count: number) => Array.from({ length: count }, () => '?').join(',');

function uniqueToConflict(e: unknown, message: string): unknown {
  const code = (e as { code?: string }).code ?? '';
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' ? new ConflictError(message) : e;
}
