import type { FastifyPluginAsync } from 'fastify';
import type { Role } from '../../config/config.js';
import type { ResolvedDeps } from '../deps.js';
import { adminRoutes } from './admin.js';
import { dashboardRoutes } from './dashboard.js';
import { freshnessRoutes } from './freshness.js';
import { healthRoutes } from './health.js';
import { ingestRoutes } from './ingest.js';
import { openapiRoutes } from './openapi.js';
import { signedRoutes } from './signed.js';

/** Every route plugin the app registers, each given the resolved dependencies as its options. */
export const routePlugins: FastifyPluginAsync<ResolvedDeps>[] = [
  healthRoutes,
  signedRoutes,
  adminRoutes,
  openapiRoutes,
  ingestRoutes,
  freshnessRoutes,
  dashboardRoutes,
];

/**
 * The plugins a process with these roles serves: the API's only on api processes (a collector exposes no
 * admin API). Health and the heartbeat paths everywhere: without a collector, heartbeats answer 503 saying
 * so, which tells a misrouting load balancer more than a 404 would.
 */
export function pluginsFor(roles: readonly Role[]): FastifyPluginAsync<ResolvedDeps>[] {
  return routePlugins.filter((plugin) => plugin === healthRoutes || plugin === ingestRoutes || roles.includes('api'));
}
