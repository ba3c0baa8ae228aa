import type { FastifyPluginAsync } from 'fastify';
import type { Role } from '../../config/config.js';
import type { ResolvedDeps } from '../app.js';
import { adminRoutes } from './admin.js';
import { familyRoutes } from './family.js';
import { healthRoutes } from './health.js';
import { ingestRoutes } from './ingest.js';
import { realtimeRoutes } from './realtime.js';
import { openapiRoutes } from './openapi.js';
import { summaryRoutes } from './summary.js';

/** Every route plugin the app registers, each given the resolved dependencies as its options. */
export const routePlugins: FastifyPluginAsync<ResolvedDeps>[] = [
  healthRoutes,
  summaryRoutes,
  familyRoutes,
  adminRoutes,
  openapiRoutes,
  ingestRoutes,
  realtimeRoutes,
];

/** The plugins a process with these roles serves: health always, heartbeats on collectors, the rest on api. */
export function pluginsFor(roles: readonly Role[]): FastifyPluginAsync<ResolvedDeps>[] {
  return routePlugins.filter((plugin) => {
    if (plugin === healthRoutes) return true;
    if (plugin === ingestRoutes) return roles.includes('collector');
    return roles.includes('api');
  });
}
