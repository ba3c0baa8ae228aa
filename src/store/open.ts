import { sqlitePath, type Config } from '../config/config.js';
import type { Store } from './port.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Opens the store the configuration names. */
export async function openStore(config: Config): Promise<Store> {
  if (config.store === 'postgres') {
    throw new Error('LIVE_CCV_STORE=postgres: the PostgreSQL adapter is not part of this build yet');
  }
  return new SqliteStore(sqlitePath(config));
}
