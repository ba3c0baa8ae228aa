import { sqlitePath, type Config } from '../config/config.js';
import type { Store } from './port.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Opens the store the configuration names. */
export async function openStore(config: Config): Promise<Store> {
  if (config.store === 'postgres') return PostgresStore.connect(config.databaseUrl, { schema: config.databaseSchema });
  return new SqliteStore(sqlitePath(config), { cacheBytes: config.curveCacheMb * 1024 * 1024 });
}
