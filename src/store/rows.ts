/** Row shapes shared by the adapters, and their mapping to the port's types. */
import type { App, AppPatch } from './port.js';

export interface AppRow {
  app_id: string;
  app_secret: string;
  name: string;
  /** INTEGER 0/1 in SQLite, boolean in PostgreSQL */
  enabled: number | boolean;
  rate_limit: number | null;
  ingest_token: string | null;
  /** bigint arrives as text from PostgreSQL */
  created_at: number | string;
}

export const toApp = (r: AppRow): App => ({
  appId: r.app_id,
  appSecret: r.app_secret,
  name: r.name,
  enabled: r.enabled === true || r.enabled === 1,
  rateLimit: r.rate_limit,
  ingestTokenHash: r.ingest_token,
  createdAt: Number(r.created_at),
});

/** The column each patchable field of an app lives in. */
export const APP_COLUMNS: Record<keyof AppPatch, string> = {
  name: 'name',
  enabled: 'enabled',
  rateLimit: 'rate_limit',
  appSecret: 'app_secret',
  ingestTokenHash: 'ingest_token',
};

/** The patch's set fields as [column, value] pairs, in a fixed order. */
export function appPatchColumns(patch: AppPatch, toDb: (field: keyof AppPatch, value: unknown) => unknown = (_f, v) => v) {
  const out: [string, unknown][] = [];
  for (const [k, col] of Object.entries(APP_COLUMNS) as [keyof AppPatch, string][]) {
    if (patch[k] !== undefined) out.push([col, toDb(k, patch[k])]);
  }
  return out;
}
