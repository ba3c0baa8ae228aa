/**
 * The PostgreSQL schema's name and the lock serialising migrations (src/store/migrations.ts): any number of API
 * servers and aggregators may start at once, and concurrent CREATE TABLE IF NOT EXISTS can collide on the catalog's
 * unique indexes.
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
