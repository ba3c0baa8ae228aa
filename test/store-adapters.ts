/**
 * The store adapters every store-dependent suite runs against: SQLite on a temp file, PostgreSQL on
 * LIVE_CCV_TEST_DATABASE_URL with each database in its own schema, dropped afterwards. An unreachable PostgreSQL fails
 * the suites that use it: a skipped adapter would pass CI while proving nothing.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import BetterSqlite from 'better-sqlite3';
import pg from 'pg';
import { type CurveSpan, sumByKey } from '../src/domain/peak.js';
import type { Store } from '../src/store/port.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';

export const PG_URL = process.env.LIVE_CCV_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A database for one test: the store, a second store on the same data (another process), and cleanup. */
export interface Database {
  store: Store;
  peer(): Promise<Store>;
  /** raw rows of a query, bypassing the store (to check what it keeps) */
  rows(sql: string): Promise<unknown[][]>;
  drop(): Promise<void>;
}
export interface Adapter {
  name: string;
  teardown?(): Promise<void>;
  open(): Promise<Database>;
}

export const sqlite: Adapter = {
  name: 'SqliteStore',
  async open() {
    const file = path.join(tempDir('live-ccv-store-'), 'store.sqlite');
    const opened: Store[] = [new SqliteStore(file)];
    return {
      store: opened[0]!,
      rows: async (sql) => {
        const raw = new BetterSqlite(file, { readonly: true });
        try {
          return raw.prepare(sql).raw().all() as unknown[][];
        } finally {
          raw.close();
        }
      },
      peer: async () => {
        const s = new SqliteStore(file);
        opened.push(s);
        return s;
      },
      drop: async () => {
        for (const s of opened) await s.close();
      },
    };
  },
};

export function postgres(): Adapter {
  let admin: Promise<pg.Client> | undefined;
  // Every test awaits the connection itself, so an unreachable server fails each test rather than skipping it.
  const reach = () =>
    (admin ??= (async () => {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
      try {
        await client.connect();
        return client;
      } catch (e) {
        throw new Error(
          `PostgreSQL is required by the store contract suite and is not reachable at ${PG_URL} ` +
            `(set LIVE_CCV_TEST_DATABASE_URL): ${(e as Error).message}`,
        );
      }
    })());
  return {
    name: 'PostgresStore',
    async teardown() {
      await (await admin?.catch(() => undefined))?.end();
    },
    async open() {
      const client = await reach();
      const schema = `ccv_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const opened: Store[] = [await PostgresStore.connect(PG_URL, { schema, max: 4 })];
      return {
        store: opened[0]!,
        rows: async (sql) =>
          (await client.query({ text: sql.replace(/\bFROM (\w+)/g, `FROM ${schema}.$1`), rowMode: 'array' })).rows,
        peer: async () => {
          const s = await PostgresStore.connect(PG_URL, { schema, max: 4 });
          opened.push(s);
          return s;
        },
        drop: async () => {
          for (const s of opened) await s.close();
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        },
      };
    },
  };
}

/** Every adapter, for suites that run once per store. */
export const adapters = (): Adapter[] => [sqlite, postgres()];

/** The non-zero minutes of a curve read, per pull type: { cdn: { [epochMinute]: ccv } }. */
export function sparse(spans: CurveSpan[], from: number, to: number): Record<string, Record<number, number>> {
  const out: Record<string, Record<number, number>> = {};
  for (const [key, total] of sumByKey(spans, from, to)) {
    const minutes: Record<number, number> = {};
    total.forEach((v, i) => {
      if (v !== 0) minutes[from + i] = v;
    });
    if (Object.keys(minutes).length > 0) out[key] = minutes;
  }
  return out;
}
