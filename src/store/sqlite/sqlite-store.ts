import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DAY_MINUTES } from '../../domain/calendar.js';
import type { Segment } from '../../domain/peak.js';
import { addCurve, addDeltas, applyUpdates, decodeValues, encodeValues, type DayCurve } from '../day-curve.js';
import { CurveCache, type CachedCell } from '../curve-cache.js';
import { FencedError, newerThan, type FenceToken } from '../fence.js';
import { groupMinutes } from '../group-minutes.js';
import { MIGRATIONS_TABLE, pending } from '../migrations.js';
import { appPatchColumns, toApp, type AppRow } from '../rows.js';
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
const FRESHNESS_MS = 10;
const TENANCY_CACHE_LIMIT = 100_000;

const CHANNEL_SELECT = `SELECT c.channel_id AS channelId, c.user_id AS userId, u.app_id AS appId,
  c.created_at AS createdAt FROM channels c JOIN users u ON u.user_id = c.user_id`;

interface CurveRow {
  id: string;
  day: number;
  pull_type: string;
  off: number;
  data: Buffer;
}

/** The embedded store: one SQLite file (WAL, synchronous=FULL: a committed minute survives a crash). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly stmt;

  private readonly cache: CurveCache;
  /** read-through copies of apps and of users' owners, for the signed API's per-request checks */
  private readonly apps = new Map<string, App>();
  private readonly userApps = new Map<string, string>();
  private checkedAt = -Infinity;
  private readonly dataVersion: Database.Statement;
  private seenVersion: unknown;

  /** `cacheBytes` bounds the in-memory cache of decoded day curves (0 disables it). */
  constructor(file: string, options: { cacheBytes?: number } = {}) {
    this.cache = new CurveCache(options.cacheBytes ?? 64 * 1024 * 1024);
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
    // data_version changes when another connection (a CLI import, a second process) commits
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.seenVersion = this.dataVersion.get();
    const curveCols = (table: string, id: string) => ({
      get: this.db.prepare(`SELECT off, data FROM ${table} WHERE ${id} = ? AND day = ? AND pull_type = ?`),
      put: this.db.prepare(
        `INSERT INTO ${table} (${id}, day, pull_type, off, data) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (${id}, day, pull_type) DO UPDATE SET off = excluded.off, data = excluded.data`,
      ),
      del: this.db.prepare(`DELETE FROM ${table} WHERE ${id} = ? AND day = ? AND pull_type = ?`),
      all: this.db.prepare(`SELECT ${id} AS id, day, pull_type, off, data FROM ${table} WHERE ${id} = ?`),
    });
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
      deleteUserCurves: this.db.prepare('DELETE FROM user_curves WHERE user_id = ?'),
      deleteUserChannels: this.db.prepare('DELETE FROM channels WHERE user_id = ?'),
      insertChannel: this.db.prepare('INSERT INTO channels (channel_id, user_id, created_at) VALUES (?, ?, ?)'),
      getChannel: this.db.prepare(`${CHANNEL_SELECT} WHERE c.channel_id = ?`),
      listChannels: this.db.prepare(`${CHANNEL_SELECT} WHERE c.user_id = ? ORDER BY c.channel_id`),
      allChannels: this.db.prepare(`${CHANNEL_SELECT} ORDER BY c.channel_id`),
      deleteChannel: this.db.prepare('DELETE FROM channels WHERE channel_id = ?'),
      channelOwner: this.db.prepare('SELECT user_id FROM channels WHERE channel_id = ?'),
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
      channel: curveCols('channel_curves', 'channel_id'),
      user: curveCols('user_curves', 'user_id'),
    };
  }

  async ping(): Promise<void> {
    this.cached('SELECT 1').get();
  }

  /**
   * Drops every in-memory copy when another connection has committed. PRAGMA data_version costs a
   * statement, so it is asked at most once per FRESHNESS_MS: another process's writes (a CLI import, a
   * rotated secret) are seen within that, this connection's own writes at once (they invalidate directly).
   */
  private fresh(): void {
    const now = performance.now();
    if (now - this.checkedAt < FRESHNESS_MS) return;
    this.checkedAt = now;
    const version = this.dataVersion.get();
    if (version !== this.seenVersion) {
      this.seenVersion = version;
      this.cache.clear();
      this.apps.clear();
      this.userApps.clear();
    }
  }

  async close(): Promise<void> {
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
    return this.db.transaction(() => {
      this.stmt.deleteUserCurves.run(userId);
      this.cache.clear();
      this.userApps.delete(userId);
      this.stmt.deleteUserChannels.run(userId);
      return this.stmt.deleteUser.run(userId).changes > 0;
    })();
  }

  async addChannel(userId: string, channelId: string): Promise<Channel> {
    this.db.transaction(() => {
      try {
        this.stmt.insertChannel.run(channelId, userId, Date.now());
      } catch (e) {
        throw uniqueToConflict(e, `channel ${channelId} already exists`);
      }
      this.moveChannelCurves(channelId, userId, 1);
    })();
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
    return this.db.transaction(() => {
      const owner = this.stmt.channelOwner.pluck().get(channelId) as string | undefined;
      if (owner === undefined) return false;
      this.moveChannelCurves(channelId, owner, -1);
      this.stmt.deleteChannel.run(channelId);
      return true;
    })();
  }

  /** Adds (or subtracts) all of a channel's stored curves to its owner's, when ownership changes. */
  private moveChannelCurves(channelId: string, userId: string, sign: 1 | -1): void {
    for (const row of this.stmt.channel.all.all(channelId) as CurveRow[]) {
      const current = this.readCurve('user', userId, row.day, row.pull_type);
      const next = addCurve(current, { off: row.off, values: decodeValues(row.data) }, sign);
      this.writeCurve('user', userId, row.day, row.pull_type, next);
    }
  }

  async setChannelMinutes(rows: readonly ChannelMinute[]): Promise<void> {
    if (rows.length === 0) return;
    this.db.transaction(() => this.writeMinutes(rows))();
  }

  async claimFence(token: FenceToken): Promise<string | undefined> {
    return this.db.transaction(() => {
      const row = this.stmt.getFence.get(token.key) as { generation: number; epoch: number; progress: string | null } | undefined;
      if (row && newerThan(row, token)) throw new FencedError(token.key);
      this.stmt.claimFence.run(token.key, token.generation, token.epoch);
      return row?.progress ?? undefined;
    })();
  }

  async setChannelMinutesFenced(rows: readonly ChannelMinute[], token: FenceToken, progress: string): Promise<void> {
    this.db.transaction(() => {
      const row = this.stmt.getFence.get(token.key) as { generation: number; epoch: number } | undefined;
      if (!row || row.generation !== token.generation || row.epoch !== token.epoch) throw new FencedError(token.key);
      this.stmt.saveFenceProgress.run(progress, token.key);
      this.writeMinutes(rows);
    })();
  }

  async listFenceProgress(keyPrefix: string): Promise<Map<string, string | undefined>> {
    const rows = this.cached('SELECT key, progress FROM ingest_fences WHERE substr(key, 1, ?) = ?').all(
      keyPrefix.length,
      keyPrefix,
    ) as { key: string; progress: string | null }[];
    return new Map(rows.map((r) => [r.key, r.progress ?? undefined]));
  }

  private writeMinutes(rows: readonly ChannelMinute[]): void {
    const owners = new Map<string, string | undefined>();
    for (const g of groupMinutes(rows)) {
      const current = this.readCurve('channel', g.channelId, g.day, g.pullType);
      const { next, deltas } = applyUpdates(current, g.updates);
      if (deltas.size === 0) continue;
      this.writeCurve('channel', g.channelId, g.day, g.pullType, next);
      if (!owners.has(g.channelId)) {
        owners.set(g.channelId, this.stmt.channelOwner.pluck().get(g.channelId) as string | undefined);
      }
      const owner = owners.get(g.channelId);
      if (owner === undefined) continue;
      const userCurve = this.readCurve('user', owner, g.day, g.pullType);
      this.writeCurve('user', owner, g.day, g.pullType, addDeltas(userCurve, deltas));
    }
  }

  async readCurves(kind: CurveKind, ids: readonly string[], from: number, to: number, pullType?: string): Promise<Segment[]> {
    this.fresh();
    const firstDay = Math.floor(from / DAY_MINUTES);
    const lastDay = Math.floor((to - 1) / DAY_MINUTES);
    const segments: Segment[] = [];
    const push = (cell: CachedCell, day: number) => {
      for (const c of cell) {
        if (pullType !== undefined && c.pullType !== pullType) continue;
        segments.push({ key: c.pullType, start: day * DAY_MINUTES + c.curve.off, values: c.curve.values });
      }
    };
    // Cells (id, day) served from memory; the rest read in one pass over the ids and days they span.
    const missing = new Map<string, number>();
    const missingIds = new Set<string>();
    let lo = Infinity;
    let hi = -Infinity;
    for (const id of ids) {
      for (let day = firstDay; day <= lastDay; day++) {
        const key = CurveCache.key(kind, id, day);
        const cell = this.cache.get(key);
        if (cell) push(cell, day);
        else {
          missing.set(key, day);
          missingIds.add(id);
          lo = Math.min(lo, day);
          hi = Math.max(hi, day);
        }
      }
    }
    if (missing.size === 0) return segments;
    const cells = new Map<string, CachedCell>();
    const list = [...missingIds];
    // One statement per chunk of ids, rows as arrays: per-row overhead matters at thousands of day curves.
    for (let i = 0; i < list.length; i += READ_CHUNK) {
      const chunk = list.slice(i, i + READ_CHUNK);
      const rows = this.rangeStatement(kind, chunk.length).all(...chunk, lo, hi) as [string, number, string, number, Buffer][];
      for (const [id, day, pt, off, data] of rows) {
        const key = CurveCache.key(kind, id, day);
        if (!missing.has(key)) continue;
        let cell = cells.get(key);
        if (!cell) cells.set(key, (cell = []));
        cell.push({ pullType: pt, curve: { off, values: decodeValues(data) } });
      }
    }
    for (const [key, day] of missing) {
      const cell = cells.get(key) ?? [];
      this.cache.set(key, cell);
      push(cell, day);
    }
    return segments;
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

  private rangeStatement(kind: CurveKind, count: number): Database.Statement {
    const [table, id] = kind === 'user' ? ['user_curves', 'user_id'] : ['channel_curves', 'channel_id'];
    return this.cached(
      `SELECT ${id}, day, pull_type, off, data FROM ${table} WHERE ${id} IN (${marks(count)}) AND day BETWEEN ? AND ?`,
    ).raw();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.stmt.getMeta.pluck().get(key) as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.stmt.setMeta.run(key, value);
  }

  private readCurve(kind: CurveKind, id: string, day: number, pullType: string): DayCurve | undefined {
    const row = this.stmt[kind].get.get(id, day, pullType) as { off: number; data: Buffer } | undefined;
    return row && { off: row.off, values: decodeValues(row.data) };
  }

  private writeCurve(kind: CurveKind, id: string, day: number, pullType: string, curve: DayCurve | undefined): void {
    this.cache.delete(CurveCache.key(kind, id, day));
    if (curve) this.stmt[kind].put.run(id, day, pullType, curve.off, encodeValues(curve.values));
    else this.stmt[kind].del.run(id, day, pullType);
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
      record.run(m.version, m.name, Date.now());
    }
  }).immediate();
}

const marks = (count: number) => Array.from({ length: count }, () => '?').join(',');

function uniqueToConflict(e: unknown, message: string): unknown {
  const code = (e as { code?: string }).code ?? '';
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' ? new ConflictError(message) : e;
}
