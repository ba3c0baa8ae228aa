/** Admin and import commands work on the configured store directly, as `serve` would open it. */
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/port.js';
import { configFrom, settingFlags } from './setting-flags.js';

/** The flags that choose the store and how its secrets are sealed, the same ones `serve` takes. */
export function storeFlags(cmd: Command): Command {
  return settingFlags(cmd, ['dataDir', 'store', 'databaseUrl', 'secretKey']);
}

/** Opens the store the flags and environment name, runs the work, and always closes the store. */
export async function withStore<T>(
  opts: Record<string, unknown>,
  work: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = configFrom(opts);
  const store = await openStore(config, { serving: false });
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}
