/**
 * A real live-ccv server for the browser tests and the dashboard bench: listening on 127.0.0.1 (port 0), SQLite in
 * a temp dir, the heartbeat ingest running, the admin API on, and the dashboard served from a build of its current
 * sources.
 */
import { type RunningServer, startServer } from '../../src/server.js';
import type { Config } from '../../src/config/config.js';
import { testConfig } from '../helpers.js';
import { dashboardBuild } from './dashboard-build.js';

export const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';

export async function dashboardServer(
  settings: Parameters<typeof testConfig>[0] = {},
): Promise<RunningServer & { config: Config }> {
  const config = testConfig({
    host: '127.0.0.1',
    port: 0,
    adminToken: ADMIN_TOKEN,
    dashboardDir: await dashboardBuild(),
    ...settings,
  });
  const server = await startServer(config, () => undefined);
  return { ...server, config };
}
