import { sqlitePath, type Config } from '../config/config.js';
import type { Store } from './port.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * Opens the store the configuration names. `serving` false (CLI commands that only write or administer)
 * starts no query threads, whatever LIVE_CCV_QUERY_THREADS says.
 */
export async function openStore(config: Config, options: { serving?: boolean } = {}): Promise<Store> {
  if (config.store === 'postgres') return PostgresStore.connect(config.databaseUrl);
  return new SqliteStore(sqlitePath(config), {
    cacheBytes: config.curveCacheMb * 1024 * 1024,
    queryThreads: options.serving === false ? 0 : config.queryThreads,
    queryNice: config.queryNice,
  });
}
