/**
 * The PostgreSQL schema, created on connect. Every statement is idempotent so any number of API servers
 * and aggregators may start at once; a session advisory lock still serialises them because concurrent
 * CREATE TABLE IF NOT EXISTS can collide on the catalog's unique indexes.
 */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names go into DDL and the search_path, so only plain lower-case identifiers are accepted. */
export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}": expected a lower-case identifier such as live_ccv`);
  }
  return schema;
}

/** Key of the session lock held while migrating (any constant distinct from the curve lock keys works). */
export const MIGRATION_LOCK = 0x6c697665; // 'live'

/** Run only when the schema is missing: CREATE SCHEMA needs CREATE on the database even with IF NOT EXISTS. */
export const createSchema = (schema: string) => `CREATE SCHEMA IF NOT EXISTS "${schema}"`;

export function migrations(schema: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "${schema}".apps (
      app_id text PRIMARY KEY, app_secret text NOT NULL, name text NOT NULL, enabled boolean NOT NULL,
      rate_limit integer, ingest_token text, created_at bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS "${schema}".users (
      user_id text PRIMARY KEY, app_id text NOT NULL REFERENCES "${schema}".apps(app_id), created_at bigint NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS users_by_app ON "${schema}".users(app_id)`,
    `CREATE TABLE IF NOT EXISTS "${schema}".channels (
      channel_id text PRIMARY KEY, user_id text NOT NULL REFERENCES "${schema}".users(user_id), created_at bigint NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS channels_by_user ON "${schema}".channels(user_id)`,
    // One row per UTC day and pull type; data is the shared codec of store/day-curve.ts.
    `CREATE TABLE IF NOT EXISTS "${schema}".channel_curves (
      channel_id text NOT NULL, day integer NOT NULL, pull_type text NOT NULL, off integer NOT NULL, data bytea NOT NULL,
      PRIMARY KEY (channel_id, day, pull_type))`,
    `CREATE TABLE IF NOT EXISTS "${schema}".user_curves (
      user_id text NOT NULL, day integer NOT NULL, pull_type text NOT NULL, off integer NOT NULL, data bytea NOT NULL,
      PRIMARY KEY (user_id, day, pull_type))`,
    `CREATE TABLE IF NOT EXISTS "${schema}".meta (key text PRIMARY KEY, value text NOT NULL)`,
    // Hour maxima of user curves in blocks of 32 UTC days (src/store/hour-blocks.ts), the summary's bounds.
    `CREATE TABLE IF NOT EXISTS "${schema}".user_hours (
      user_id text NOT NULL, block integer NOT NULL, pull_type text NOT NULL, data bytea NOT NULL,
      PRIMARY KEY (user_id, block, pull_type))`,
  ];
}
