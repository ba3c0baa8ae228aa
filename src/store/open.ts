import { sqlitePath, type Config } from '../config/config.js';
import type { Store } from './port.js';
import { SERVING_CURVE_FRESHNESS_MS, SqliteStore } from './sqlite/sqlite-store.js';
import { watchStorage } from './storage-watch.js';
import { KeyRing } from '../secrets/key-ring.js';
import { rewriteAtRest, sealSecrets } from '../secrets/secrets-at-rest.js';

/**
 * The adapter the configuration names, as it is: credentials exactly as stored, failures unclassified.
 * `serving` false (CLI commands that only write or administer) starts no query threads, whatever
 * LIVE_CCV_QUERY_THREADS says, and asks SQLite about other connections' commits on every read; a server trusts an
 * answer for SERVING_CURVE_FRESHNESS_MS.
 */
export async function openAdapter(config: Config, options: { serving?: boolean } = {}): Promise<Store> {
  if (config.store === 'postgres') {
    // loaded only when configured: the embedded default never loads the PostgreSQL client
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return PostgresStore.connect(config.databaseUrl, { schema: config.databaseSchema });
  }
  return new SqliteStore(sqlitePath(config), {
    cacheBytes: config.curveCacheMb * 1024 * 1024,
    queryThreads: options.serving === false ? 0 : config.queryThreads,
    queryNice: config.queryNice,
    curveFreshnessMs: options.serving === false ? 0 : SERVING_CURVE_FRESHNESS_MS,
  });
}

/**
 * Opens the store the configuration names: app secrets sealed at rest with LIVE_CCV_SECRET_KEY
 * (secrets/secrets-at-rest.ts), storage failures classified and watched (storage-watch.ts). With
 * `rewriteAtRest` (serve), stored credentials are first brought to the configured form (plaintext secrets
 * sealed, plaintext ingest tokens hashed); a secret the key cannot open stops the start with one line.
 */
export async function openStore(config: Config, options: { rewriteAtRest?: boolean; serving?: boolean } = {}): Promise<Store> {
  const ring = KeyRing.parse(config.secretKey);
  const adapter = await openAdapter(config, options);
  try {
    if (options.rewriteAtRest) await rewriteAtRest(adapter, ring);
  } catch (e) {
    await adapter.close();
    throw e;
  }
  return watchStorage(sealSecrets(adapter, ring));
}
