/**
 * A real live-ccv server for the browser tests and the dashboard bench: listening on 127.0.0.1 (port 0), SQLite in
 * a temp dir, the heartbeat ingest running, the admin API on, and (unless `dashboard: false`) the dashboard served
 * from a build of its current sources.
 */
import type { Config } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { tempDir, testConfig } from '../helpers.js';
import { dashboardBuild } from './dashboard-build.js';

export const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';

export async function browserServer(
  options: { dashboard?: boolean } & Parameters<typeof testConfig>[0] = {},
): Promise<RunningServer & { config: Config }> {
  const { dashboard = true, ...settings } = options;
  const config = testConfig({
    host: '127.0.0.1',
    port: 0,
    adminToken: ADMIN_TOKEN,
    // without a build the page answers 503; the API is all the same
    dashboardDir: dashboard ? await dashboardBuild() : tempDir(),
    ...settings,
  });
  const server = await startServer(config, () => undefined);
  return { ...server, config };
}
