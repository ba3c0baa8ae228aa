import pg from 'pg';
import { DAY_MINUTES } from '../../domain/calendar.js';
import type { Peak, CurveSpan } from '../../domain/peak.js';
import { PeakSearch, searchPeaksAsync } from '../../domain/peak-search.js';
import type { CacheStats } from '../curve-cache.js';
import { moveChannel, writeGroups, type CurveIO } from '../curve-writes.js';
import { decodeValues, encodeValues, type CurveValues, type DayCurve } from '../day-curve.js';
import { MinuteBatch } from '../group-minutes.js';
import { BLOCK_DAYS, blockOf, blockSpan, dayMaxima, patchBlock } from '../hour-blocks.js';
import { FencedError, type FenceToken } from '../fence.js';
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
import { B64, b64, byKey, columns, curveKey, curveRows, toCurveMap, type CurveKey, type Db } from './curve-rows.js';
import { HOUR_BLOCKS_VERSION, MIGRATIONS_TABLE, pending } from '../migrations.js';
import { appPatchColumns, toApp, type AppRow } from '../rows.js';
import { checkSchemaName, createSchema, MIGRATION_LOCK } from './schema.js';

const CHANNEL_SELECT = `SELECT c.channel_id AS "channelId", c.user_id AS "userId", u.app_id AS "appId",
  c.created_at::float8 AS "createdAt" FROM channels c JOIN users u ON u.user_id = c.user_id`;
const USER_SELECT = `SELECT user_id AS "userId", app_id AS "appId", created_at::float8 AS "createdAt" FROM users`;

const TABLE = { channel: { table: 'channel_curves', id: 'channel_id' }, user: { table: 'user_curves', id: 'user_id' } };
/** Rows a writer locks (user-days and hour blocks): table, id column, number column. */
const LOCKED = { user: ['user_curves', 'user_id', 'day'], hours: ['user_hours', 'user_id', 'block'] } as const;

/** Deadlocks and serialization failures are retried: the whole transaction is recomputed from scratch. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

/**
 * The scaled store: PostgreSQL, shared by every API server and aggregator. Same model as SqliteStore (one
 * bytea row per channel or user, UTC day and pull type, in the shared day-curve codec); user curves follow
 * channel curves in the same transaction. Writers of one channel are serialised by a transaction advisory
 * lock on the channel id (which also covers ownership changes), and user curve rows are locked with
 * SELECT ... FOR UPDATE in one sorted order, so concurrent aggregators writing channels of the same user
 * stay exact without deadlocking.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';

  private constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  /** Connects, creates the schema and tables when missing (idempotent) and returns the store. */
  static async connect(url: string, options: { schema?: string; max?: number } = {}): Promise<PostgresStore> {
    const schema = checkSchemaName(options.schema ?? 'public');
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      // The name was checked to be a plain identifier, so it needs no quoting inside the startup options.
      options: `-c search_path=${schema}`,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its server must not crash the process; the next query reports the failure.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
          if (exists.rowCount === 0) await client.query(createSchema(schema));
          await migrate(client);
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end();
      throw new Error(`PostgreSQL store at ${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
    }
    return new PostgresStore(pool, schema);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async createApp(app: NewApp): Promise<App> {
    try {
      const { rows } = await this.pool.query<AppRow>(
        `INSERT INTO apps (app_id, app_secret, name, enabled, rate_limit, ingest_token, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [
          app.appId,
          app.appSecret,
          app.name,
          app.enabled !== false,
          app.rateLimit ?? null,
          app.ingestTokenHash ?? null,
          Date.now(),
        ],
      );
      return toApp(rows[0]!);
    } catch (e) {
      throw uniqueToConflict(e, `application ${app.appId} already exists`);
    }
  }

  async getApp(appId: string): Promise<App | undefined> {
    const { rows } = await this.pool.query<AppRow>('SELECT * FROM apps WHERE app_id = $1', [appId]);
    return rows[0] && toApp(rows[0]);
  }

  async listApps(): Promise<App[]> {
    const { rows } = await this.pool.query<AppRow>('SELECT * FROM apps ORDER BY created_at, app_id');
    return rows.map(toApp);
  }

  async updateApp(appId: string, patch: AppPatch): Promise<App | undefined> {
    const values: unknown[] = [appId];
    const sets = appPatchColumns(patch).map(([col, v]) => {
      values.push(v);
      return `${col} = $${values.length}`;
    });
    if (sets.length === 0) return this.getApp(appId);
    const { rows } = await this.pool.query<AppRow>(`UPDATE apps SET ${sets.join(', ')} WHERE app_id = $1 RETURNING *`, values);
    return rows[0] && toApp(rows[0]);
  }

  async swapCredentials(appId: string, expected: StoredCredentials, next: StoredCredentials): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE apps SET app_secret = $2, ingest_token = $3
       WHERE app_id = $1 AND app_secret = $4 AND ingest_token IS NOT DISTINCT FROM $5`,
      [appId, next.appSecret, next.ingestTokenHash, expected.appSecret, expected.ingestTokenHash],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async addUser(appId: string, userId: string): Promise<User> {
    try {
      const { rows } = await this.pool.query<User>(
        `INSERT INTO users (user_id, app_id, created_at) VALUES ($1, $2, $3)
         RETURNING user_id AS "userId", app_id AS "appId", created_at::float8 AS "createdAt"`,
        [userId, appId, Date.now()],
      );
      return rows[0]!;
    } catch (e) {
      throw uniqueToConflict(e, `user ${userId} already exists`);
    }
  }

  async getUser(userId: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<User>(`${USER_SELECT} WHERE user_id = $1`, [userId]);
    return rows[0];
  }

  async listUsers(appId: string): Promise<User[]> {
    const { rows } = await this.pool.query<User>(`${USER_SELECT} WHERE app_id = $1 ORDER BY user_id`, [appId]);
    return rows;
  }

  async ownedUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ user_id: string }>(
      'SELECT user_id FROM users WHERE app_id = $1 AND user_id = ANY($2::text[])',
      [appId, userIds],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  async removeUser(userId: string): Promise<boolean> {
    return this.transaction(async (db) => {
      const { rows } = await db.query<{ channel_id: string }>('SELECT channel_id FROM channels WHERE user_id = $1', [userId]);
      await this.lockChannels(
        db,
        rows.map((r) => r.channel_id),
      );
      await db.query('DELETE FROM user_curves WHERE user_id = $1', [userId]);
      await db.query('DELETE FROM user_hours WHERE user_id = $1', [userId]);
      await db.query('DELETE FROM channels WHERE user_id = $1', [userId]);
      const res = await db.query('DELETE FROM users WHERE user_id = $1', [userId]);
      return (res.rowCount ?? 0) > 0;
    });
  }

  async addChannel(userId: string, channelId: string): Promise<Channel> {
    await this.transaction(async (db) => {
      await this.lockChannels(db, [channelId]);
      try {
        await db.query('INSERT INTO channels (channel_id, user_id, created_at) VALUES ($1, $2, $3)', [
          channelId,
          userId,
          Date.now(),
        ]);
      } catch (e) {
        throw uniqueToConflict(e, `channel ${channelId} already exists`);
      }
      await this.moveChannelCurves(db, channelId, userId, 1);
    });
    return (await this.getChannel(channelId))!;
  }

  async getChannel(channelId: string): Promise<Channel | undefined> {
    const { rows } = await this.pool.query<Channel>(`${CHANNEL_SELECT} WHERE c.channel_id = $1`, [channelId]);
    return rows[0];
  }

  async listChannels(userId: string): Promise<Channel[]> {
    const { rows } = await this.pool.query<Channel>(`${CHANNEL_SELECT} WHERE c.user_id = $1 ORDER BY c.channel_id`, [userId]);
    return rows;
  }

  async listAllChannels(): Promise<Channel[]> {
    const { rows } = await this.pool.query<Channel>(`${CHANNEL_SELECT} ORDER BY c.channel_id`);
    return rows;
  }

  async existingChannels(channelIds: readonly string[]): Promise<Set<string>> {
    if (channelIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ channel_id: string }>(
      'SELECT channel_id FROM channels WHERE channel_id = ANY($1::text[])',
      [channelIds],
    );
    return new Set(rows.map((r) => r.channel_id));
  }

  async ownedChannels(appId: string, channelIds: readonly string[]): Promise<Set<string>> {
    if (channelIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ channel_id: string }>(
      `SELECT c.channel_id FROM channels c JOIN users u ON u.user_id = c.user_id
       WHERE u.app_id = $1 AND c.channel_id = ANY($2::text[])`,
      [appId, channelIds],
    );
    return new Set(rows.map((r) => r.channel_id));
  }

  async removeChannel(channelId: string): Promise<boolean> {
    return this.transaction(async (db) => {
      await this.lockChannels(db, [channelId]);
      const owner = (await this.owners(db, [channelId])).get(channelId);
      if (owner === undefined) return false;
      await this.moveChannelCurves(db, channelId, owner, -1);
      await db.query('DELETE FROM channels WHERE channel_id = $1', [channelId]);
      return true;
    });
  }

  async setChannelMinutes(rows: readonly ChannelMinute[]): Promise<void> {
    if (rows.length > 0) await this.setMinuteBatch(MinuteBatch.of(rows));
  }

  async setMinuteBatch(batch: MinuteBatch): Promise<void> {
    if (batch.rows === 0) return;
    const groups = batch.groups();
    await this.transaction((db) => this.writeBatch(db, groups));
  }

  async claimFence(token: FenceToken): Promise<string | undefined> {
    // One statement: the conditional upsert compares and claims under the row's lock, so of two racing
    // claims the older token finds the newer one in place and gets no row back.
    const { rows } = await this.pool.query<{ progress: string | null }>(
      `INSERT INTO ingest_fences (key, generation, epoch) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET generation = excluded.generation, epoch = excluded.epoch
         WHERE (ingest_fences.generation, ingest_fences.epoch) <= (excluded.generation, excluded.epoch)
       RETURNING progress`,
      [token.key, token.generation, token.epoch],
    );
    if (rows.length === 0) throw new FencedError(token.key);
    return rows[0]!.progress ?? undefined;
  }

  async setChannelMinutesFenced(rows: readonly ChannelMinute[], token: FenceToken, progress: string): Promise<void> {
    const groups = MinuteBatch.of(rows).groups();
    await this.transaction(async (db) => {
      // The row lock makes a concurrent claim wait for this commit, or this check see the claim.
      const { rows: fence } = await db.query<{ generation: string; epoch: string }>(
        'SELECT generation, epoch FROM ingest_fences WHERE key = $1 FOR UPDATE',
        [token.key],
      );
      const f = fence[0];
      if (!f || Number(f.generation) !== token.generation || Number(f.epoch) !== token.epoch) throw new FencedError(token.key);
      await db.query('UPDATE ingest_fences SET progress = $2 WHERE key = $1', [token.key, progress]);
      if (groups.length > 0) await this.writeBatch(db, groups);
    });
  }

  async listFenceProgress(keyPrefix: string): Promise<Map<string, string | undefined>> {
    const { rows } = await this.pool.query<{ key: string; progress: string | null }>(
      'SELECT key, progress FROM ingest_fences WHERE left(key, $1) = $2',
      [keyPrefix.length, keyPrefix],
    );
    return new Map(rows.map((r) => [r.key, r.progress ?? undefined]));
  }

  /** Writes grouped minutes inside the caller's transaction: channel locks, then user-days and blocks, sorted. */
  private async writeBatch(db: pg.PoolClient, groups: ReturnType<MinuteBatch['groups']>): Promise<void> {
    const channelIds = [...new Set(groups.map((g) => g.channelId))];
    await this.lockChannels(db, channelIds);
    const owners = await this.owners(db, channelIds);
    const current = await this.readKeys(
      db,
      'channel',
      groups.map((g) => ({ id: g.channelId, day: g.day, pullType: g.pullType })),
    );
    const userKeys = new Map<string, CurveKey>();
    for (const g of groups) {
      const owner = owners.get(g.channelId);
      if (owner === undefined) continue;
      const key = { id: owner, day: g.day, pullType: g.pullType };
      userKeys.set(curveKey(key), key);
    }
    const io = await this.lockedIO(db, [...userKeys.values()], current, owners);
    writeGroups(groups, io);
    await io.commit();
  }

  /**
   * Locks the user-days about to change and their hour blocks (in that order, each sorted, so writers cannot
   * deadlock) and returns the CurveIO that computes on them and writes what changed on commit().
   */
  private async lockedIO(
    db: Db,
    userKeys: readonly CurveKey[],
    channels: ReadonlyMap<string, DayCurve>,
    owners: ReadonlyMap<string, string>,
  ): Promise<CurveIO & { commit(): Promise<void> }> {
    const users = await this.lockRows(db, 'user', userKeys);
    const blockKeys = new Map<string, CurveKey>();
    for (const k of userKeys) {
      const key = { id: k.id, day: blockOf(k.day), pullType: k.pullType };
      blockKeys.set(curveKey(key), key);
    }
    const blocks = await this.lockRows(db, 'hours', [...blockKeys.values()]);
    const puts = { channel: new Map<string, [CurveKey, DayCurve | undefined]>(), user: new Map(), hours: new Map() } as Record<
      'channel' | 'user' | 'hours',
      Map<string, [CurveKey, DayCurve | undefined]>
    >;
    const put = (kind: 'channel' | 'user' | 'hours', key: CurveKey, curve: DayCurve | undefined) =>
      puts[kind].set(curveKey(key), [key, curve]);
    return {
      channelCurve: (id, pullType, day) => channels.get(curveKey({ id, day, pullType })),
      owner: (channelId) => owners.get(channelId),
      userCurve: (id, pullType, day) => present(users.get(curveKey({ id, day, pullType }))),
      block: (id, pullType, block) => present(blocks.get(curveKey({ id, day: block, pullType })))?.values,
      putChannel: (id, pullType, day, curve) => put('channel', { id, day, pullType }, curve),
      putUser: (id, pullType, day, curve) => put('user', { id, day, pullType }, curve),
      putBlock: (id, pullType, block, values: CurveValues | undefined) =>
        put('hours', { id, day: block, pullType }, values && { off: 0, values }),
      commit: async () => {
        // placeholders locked but left unchanged are deleted again
        for (const [kind, locked] of [
          ['user', users],
          ['hours', blocks],
        ] as const) {
          for (const [k, curve] of locked) {
            if (curve.values.length === 0 && !puts[kind].has(k)) puts[kind].set(k, [parseKey(k), undefined]);
          }
        }
        await this.writeCurves(db, 'channel', [...puts.channel.values()]);
        await this.writeCurves(db, 'user', [...puts.user.values()]);
        await this.writeBlocks(db, [...puts.hours.values()]);
      },
    };
  }

  async readCurves(kind: CurveKind, ids: readonly string[], from: number, to: number, pullType?: string): Promise<CurveSpan[]> {
    if (ids.length === 0 || to <= from) return [];
    const { table, id } = TABLE[kind];
    const params: unknown[] = [ids, Math.floor(from / DAY_MINUTES), Math.floor((to - 1) / DAY_MINUTES)];
    if (pullType !== undefined) params.push(pullType);
    const rows = await curveRows(
      this.pool,
      `SELECT ${id} AS id, day, pull_type, off, ${B64} FROM ${table}
             WHERE ${id} = ANY($1::text[]) AND day BETWEEN $2 AND $3${pullType === undefined ? '' : ' AND pull_type = $4'}`,
      params,
    );
    return rows.map((r) => ({ key: r.pull_type, start: r.day * DAY_MINUTES + r.off, values: decodeValues(r.data) }));
  }

  /**
   * The summary's pruned search on PostgreSQL: hour blocks in one query, then the day curves of the visited
   * hours, one query per day, all in one REPEATABLE READ snapshot so bounds and curves agree.
   */
  async userPeaks(userIds: readonly string[], from: number, to: number): Promise<Peak[]> {
    if (userIds.length === 0 || to <= from) return [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const firstDay = Math.floor(from / DAY_MINUTES);
      const lastDay = Math.floor((to - 1) / DAY_MINUTES);
      const blocks = await curveRows(
        client,
        `SELECT user_id AS id, block AS day, pull_type, 0 AS off, ${B64} FROM user_hours
           WHERE user_id = ANY($1::text[]) AND block BETWEEN $2 AND $3`,
        [userIds, blockOf(firstDay), blockOf(lastDay)],
      );
      const search = new PeakSearch(
        from,
        to,
        blocks.map((r) => blockSpan(r.pull_type, r.day, decodeValues(r.data))),
      );
      // a visited hour needs its day's curves; later hours of the same day reuse them
      const days = new Map<number, CurveSpan[]>();
      const peaks = await searchPeaksAsync(search, async (hour) => {
        const day = Math.floor(hour / 24);
        let segments = days.get(day);
        if (!segments) {
          const rows = await curveRows(
            client,
            `SELECT user_id AS id, day, pull_type, off, ${B64} FROM user_curves WHERE user_id = ANY($1::text[]) AND day = $2`,
            [userIds, day],
          );
          segments = rows.map((r) => ({ key: r.pull_type, start: day * DAY_MINUTES + r.off, values: decodeValues(r.data) }));
          days.set(day, segments);
        }
        return segments;
      });
      await client.query('COMMIT');
      return peaks;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  /** PostgreSQL keeps no in-memory curves: several processes write it. */
  cacheStats(): CacheStats[] {
    return [];
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  private async transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (e as { code?: string }).code ?? '';
        if (!RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw e;
      } finally {
        client.release();
      }
    }
  }

  /**
   * Serialises every writer of these channels (minute writes and ownership changes) until commit. Taken in
   * one sorted order so two batches sharing channels cannot deadlock; keyed by schema so test schemas and
   * co-hosted deployments do not contend.
   */
  private async lockChannels(db: Db, channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    const sorted = [...channelIds].sort();
    await db.query('SELECT pg_advisory_xact_lock(hashtextextended($2 || c, 0)) FROM unnest($1::text[]) AS c', [
      sorted,
      `${this.schema}/`,
    ]);
  }

  private async owners(db: Db, channelIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await db.query<{ channel_id: string; user_id: string }>(
      'SELECT channel_id, user_id FROM channels WHERE channel_id = ANY($1::text[])',
      [channelIds],
    );
    return new Map(rows.map((r) => [r.channel_id, r.user_id]));
  }

  private async readKeys(db: Db, kind: CurveKind, keys: readonly CurveKey[]): Promise<Map<string, DayCurve>> {
    const { table, id } = TABLE[kind];
    const rows = await curveRows(
      db,
      `SELECT t.${id} AS id, t.day, t.pull_type, t.off, ${b64('t')} FROM ${table} t
             JOIN unnest($1::text[], $2::int[], $3::text[]) AS k(id, day, pt)
               ON t.${id} = k.id AND t.day = k.day AND t.pull_type = k.pt`,
      columns(keys),
    );
    return toCurveMap(rows);
  }

  /**
   * Locks the user-day (or hour block) rows about to change and returns their current values. Missing rows are
   * first inserted empty, so FOR UPDATE has a row to lock and two writers creating the same row cannot both
   * start from nothing; rows left empty are deleted again before commit (lockedIO's commit).
   */
  private async lockRows(db: Db, kind: keyof typeof LOCKED, keys: readonly CurveKey[]): Promise<Map<string, DayCurve>> {
    if (keys.length === 0) return new Map();
    const [table, id, n] = LOCKED[kind];
    const off = kind === 'user' ? 'off, ' : '';
    const sorted = [...keys].sort(byKey);
    const cols = columns(sorted);
    await db.query(
      `INSERT INTO ${table} (${id}, ${n}, pull_type, ${off}data)
       SELECT id, n, pt, ${kind === 'user' ? '0, ' : ''}''::bytea FROM unnest($1::text[], $2::int[], $3::text[]) AS k(id, n, pt)
       ON CONFLICT DO NOTHING`,
      cols,
    );
    const rows = await curveRows(
      db,
      `SELECT t.${id} AS id, t.${n} AS day, t.pull_type, ${kind === 'user' ? 't.off' : '0 AS off'}, ${b64('t')}
             FROM unnest($1::text[], $2::int[], $3::text[]) WITH ORDINALITY AS k(id, n, pt, i)
             JOIN ${table} t ON t.${id} = k.id AND t.${n} = k.n AND t.pull_type = k.pt
             ORDER BY k.i FOR UPDATE OF t`,
      cols,
    );
    return toCurveMap(rows);
  }

  /** Upserts and deletes hour blocks (keys' day is the block number). */
  private async writeBlocks(db: Db, writes: readonly [CurveKey, DayCurve | undefined][]): Promise<void> {
    const puts = writes.filter((w): w is [CurveKey, DayCurve] => w[1] !== undefined);
    const dels = writes.filter((w) => w[1] === undefined).map((w) => w[0]);
    if (puts.length > 0) {
      await db.query(
        `INSERT INTO user_hours (user_id, block, pull_type, data)
         SELECT id, n, pt, decode(data, 'base64') FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS k(id, n, pt, data)
         ON CONFLICT (user_id, block, pull_type) DO UPDATE SET data = excluded.data`,
        [...columns(puts.map((p) => p[0])), puts.map((p) => encodeValues(p[1].values).toString('base64'))],
      );
    }
    if (dels.length > 0) {
      await db.query(
        `DELETE FROM user_hours t USING unnest($1::text[], $2::int[], $3::text[]) AS k(id, n, pt)
         WHERE t.user_id = k.id AND t.block = k.n AND t.pull_type = k.pt`,
        columns(dels),
      );
    }
  }

  /** Upserts the curves that have values and deletes those that became all zeros, in two statements. */
  private async writeCurves(db: Db, kind: CurveKind, writes: readonly [CurveKey, DayCurve | undefined][]): Promise<void> {
    const { table, id } = TABLE[kind];
    const puts = writes.filter((w): w is [CurveKey, DayCurve] => w[1] !== undefined);
    const dels = writes.filter((w) => w[1] === undefined).map((w) => w[0]);
    if (puts.length > 0) {
      await db.query(
        `INSERT INTO ${table} (${id}, day, pull_type, off, data)
         SELECT id, day, pt, off, decode(data, 'base64')
         FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[]) AS k(id, day, pt, off, data)
         ON CONFLICT (${id}, day, pull_type) DO UPDATE SET off = excluded.off, data = excluded.data`,
        [
          ...columns(puts.map((p) => p[0])),
          puts.map((p) => p[1].off),
          puts.map((p) => encodeValues(p[1].values).toString('base64')),
        ],
      );
    }
    if (dels.length > 0) {
      await db.query(
        `DELETE FROM ${table} t USING unnest($1::text[], $2::int[], $3::text[]) AS k(id, day, pt)
         WHERE t.${id} = k.id AND t.day = k.day AND t.pull_type = k.pt`,
        columns(dels),
      );
    }
  }

  /** Adds (or subtracts) all of a channel's stored curves to its owner's, when ownership changes. */
  private async moveChannelCurves(db: Db, channelId: string, userId: string, sign: 1 | -1): Promise<void> {
    const rows = await curveRows(
      db,
      `SELECT channel_id AS id, day, pull_type, off, ${B64} FROM channel_curves WHERE channel_id = $1`,
      [channelId],
    );
    if (rows.length === 0) return;
    const keys = rows.map((r) => ({ id: userId, day: r.day, pullType: r.pull_type }));
    const io = await this.lockedIO(db, keys, new Map(), new Map());
    moveChannel(
      rows.map((r) => ({ pullType: r.pull_type, day: r.day, curve: { off: r.off, values: decodeValues(r.data) } })),
      userId,
      sign,
      io,
    );
    await io.commit();
  }
}

/**
 * Computes the hour blocks of every user curve once, inside migration 2's transaction, for a store whose
 * curves were written before blocks existed; does nothing when blocks are already there.
 */
async function backfillBlocks(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ missing: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM user_hours) AND EXISTS (SELECT 1 FROM user_curves) AS missing',
  );
  if (!rows[0]?.missing) return;
  const users = await client.query<{ user_id: string }>('SELECT DISTINCT user_id FROM user_curves');
  for (const { user_id } of users.rows) {
    const curves = await curveRows(
      client,
      `SELECT user_id AS id, day, pull_type, off, ${B64} FROM user_curves WHERE user_id = $1`,
      [user_id],
    );
    const blocks = new Map<string, { pullType: string; block: number; days: Map<number, Uint32Array> }>();
    for (const r of curves) {
      const block = blockOf(r.day);
      const k = `${r.pull_type}\u0000${block}`;
      let b = blocks.get(k);
      if (!b) blocks.set(k, (b = { pullType: r.pull_type, block, days: new Map() }));
      b.days.set(r.day - block * BLOCK_DAYS, dayMaxima({ off: r.off, values: decodeValues(r.data) }));
    }
    for (const b of blocks.values()) {
      const values = patchBlock(undefined, b.days);
      if (!values) continue;
      await client.query("INSERT INTO user_hours (user_id, block, pull_type, data) VALUES ($1, $2, $3, decode($4, 'base64'))", [
        user_id,
        b.block,
        b.pullType,
        encodeValues(values).toString('base64'),
      ]);
    }
  }
}

/** A locked row inserted as an empty placeholder holds no curve yet. */
const present = (curve: DayCurve | undefined) => (curve && curve.values.length > 0 ? curve : undefined);

function parseKey(k: string): CurveKey {
  const [id, day, pullType] = k.split('\u0000') as [string, string, string];
  return { id, day: Number(day), pullType };
}

/** Applies the missing migrations, each in its own transaction (the caller holds the migration lock). */
async function migrate(client: pg.PoolClient): Promise<void> {
  await client.query(MIGRATIONS_TABLE);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  for (const m of pending(rows.map((r) => r.version))) {
    await client.query('BEGIN');
    try {
      for (const sql of m.sql.postgres) await client.query(sql);
      if (m.version === HOUR_BLOCKS_VERSION) await backfillBlocks(client);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  }
}

function uniqueToConflict(e: unknown, message: string): unknown {
  return (e as { code?: string }).code === '23505' ? new ConflictError(message) : e;
}

/** Connection errors name the server but never its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable PostgreSQL URL)';
  }
}
