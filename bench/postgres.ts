/**
 * The PostgreSQL store for the summary bench when LIVE_CCV_BENCH_DATABASE_URL is set: the real adapter in
 * a fresh schema of its own (dropped again afterwards) so runs never see each other's rows.
 */
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { Store } from '../src/store/port.js';

export interface BenchPostgres {
  store: Store;
  drop(): Promise<void>;
}

export async function openPostgresStore(dataset: string, log: (s: string) => void): Promise<BenchPostgres | undefined> {
  const url = process.env.LIVE_CCV_BENCH_DATABASE_URL;
  if (!url) return undefined;
  const schema = `bench_${dataset}_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  log(`PostgreSQL: schema ${schema}`);
  const store = await PostgresStore.connect(url, { schema });
  return { store, drop: () => admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`) };
}
