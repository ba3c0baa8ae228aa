/**
 * The schema of both stores as one ordered list of versioned migrations. A store records the versions it applied
 * in `schema_migrations` and applies the missing ones at open, in order, each in its own transaction; a store written
 * by a newer live-ccv (a version this code does not know) refuses to open rather than guess. Version 1 is the
 * schema of live-ccv 0.1, written with IF NOT EXISTS so stores created by 0.1 (which had no migrations table) adopt
 * it unchanged.
 *
 * To change the schema, append a migration; never edit one that has shipped.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  /** statements per dialect; PostgreSQL runs with search_path set to the store's schema */
  sql: Record<Dialect, readonly string[]>;
}

/** Column types that differ between the dialects. */
const T = {
  sqlite: { bool: 'INTEGER', bigint: 'INTEGER', int: 'INTEGER', text: 'TEXT', bytes: 'BLOB' },
  postgres: { bool: 'boolean', bigint: 'bigint', int: 'integer', text: 'text', bytes: 'bytea' },
} as const;

const both = (statements: (t: (typeof T)[Dialect]) => string[]): Record<Dialect, string[]> => ({
  sqlite: statements(T.sqlite),
  postgres: statements(T.postgres),
});

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenancy, day curves of channels and users, meta',
    sql: both((t) => [
      `CREATE TABLE IF NOT EXISTS apps (
        app_id ${t.text} PRIMARY KEY, app_secret ${t.text} NOT NULL, name ${t.text} NOT NULL, enabled ${t.bool} NOT NULL,
        rate_limit ${t.int}, ingest_token ${t.text}, created_at ${t.bigint} NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS users (
        user_id ${t.text} PRIMARY KEY, app_id ${t.text} NOT NULL REFERENCES apps(app_id), created_at ${t.bigint} NOT NULL)`,
      'CREATE INDEX IF NOT EXISTS users_by_app ON users(app_id)',
      `CREATE TABLE IF NOT EXISTS channels (
        channel_id ${t.text} PRIMARY KEY, user_id ${t.text} NOT NULL REFERENCES users(user_id), created_at ${t.bigint} NOT NULL)`,
      'CREATE INDEX IF NOT EXISTS channels_by_user ON channels(user_id)',
      // One row per UTC day and pull type; data is the shared codec of store/day-curve.ts.
      `CREATE TABLE IF NOT EXISTS channel_curves (
        channel_id ${t.text} NOT NULL, day ${t.int} NOT NULL, pull_type ${t.text} NOT NULL, off ${t.int} NOT NULL,
        data ${t.bytes} NOT NULL, PRIMARY KEY (channel_id, day, pull_type))`,
      `CREATE TABLE IF NOT EXISTS user_curves (
        user_id ${t.text} NOT NULL, day ${t.int} NOT NULL, pull_type ${t.text} NOT NULL, off ${t.int} NOT NULL,
        data ${t.bytes} NOT NULL, PRIMARY KEY (user_id, day, pull_type))`,
      `CREATE TABLE IF NOT EXISTS meta (key ${t.text} PRIMARY KEY, value ${t.text} NOT NULL)`,
    ]),
  },
  {
    version: 2,
    name: 'fencing tokens and progress of partitioned aggregators',
    // src/store/fence.ts: one row per log partition; the owner's token and the first minute still open
    sql: both((t) => [
      `CREATE TABLE IF NOT EXISTS ingest_fences (
        key ${t.text} PRIMARY KEY, generation ${t.bigint} NOT NULL, epoch ${t.bigint} NOT NULL, progress ${t.text})`,
    ]),
  },
  {
    version: 3,
    name: "hour maxima of users' curves in blocks of 32 days; SQLite's change log of curve writes",
    // The stores compute the blocks of curves written before this version right after it (backfillBlocks).
    sql: {
      sqlite: [
        `CREATE TABLE IF NOT EXISTS user_hours (
          user_id TEXT NOT NULL, block INTEGER NOT NULL, pull_type TEXT NOT NULL, data BLOB NOT NULL,
          PRIMARY KEY (user_id, block, pull_type))`,
        // one row per curve write transaction: the (kind, id, day) cells it touched, for other connections' caches
        'CREATE TABLE IF NOT EXISTS curve_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, keys TEXT NOT NULL)',
      ],
      postgres: [
        `CREATE TABLE IF NOT EXISTS user_hours (
          user_id text NOT NULL, block integer NOT NULL, pull_type text NOT NULL, data bytea NOT NULL,
          PRIMARY KEY (user_id, block, pull_type))`,
      ],
    },
  },
  {
    version: 4,
    name: "SQLite's open minutes: small writes appended, folded into the day curves in the background",
    // src/store/open-minutes.ts; PostgreSQL writes small batches into the day curves directly
    sql: {
      sqlite: [
        // one row per small write transaction: its open minutes as JSON [kind, id, pull type, epoch minute, value][]
        'CREATE TABLE IF NOT EXISTS open_minutes (seq INTEGER PRIMARY KEY AUTOINCREMENT, minutes TEXT NOT NULL)',
      ],
      postgres: [],
    },
  },
];

/** Migrations after version 1 that need code beyond their statements run it right after them (see the stores). */
export const HOUR_BLOCKS_VERSION = 3;

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** The migrations a store at `applied` versions still needs, or an error when it is newer than this code. */
export function pending(applied: readonly number[], all: readonly Migration[] = MIGRATIONS): Migration[] {
  const known = all.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(
      `the store's schema is at version ${newest}, newer than this live-ccv knows (${known}): run the newer live-ccv, or restore a backup`,
    );
  }
  const done = new Set(applied);
  return all.filter((m) => !done.has(m.version));
}
