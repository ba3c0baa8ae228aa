import type { FastifyPluginAsync } from 'fastify';
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
