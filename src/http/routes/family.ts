import type { FastifyPluginAsync } from 'fastify';
import {
  channelConcurrence,
  channelsConcurrence,
  maxHistoryConcurrent,
  userConcurrence,
  userRealtime,
} from '../../service/family.js';
import type { ResolvedDeps } from '../app.js';
import { signedRoute } from './summary.js';

/** Paths of the rest of POLYV's v3 concurrency family (docs/api.md). */
export const FAMILY_PATHS = {
  channelConcurrence: '/live/v3/channel/statistics/concurrence',
  maxHistoryConcurrent: '/live/v3/channel/statistics/get-max-history-concurrent',
  channelsConcurrence: '/live/v3/channel/statistics/concurrence-mc',
  userConcurrence: '/live/v3/user/statistics/concurrence',
  userRealtime: '/live/v3/user/statistics/realtime-concurrence',
} as const;

const points = { columns: ['day', 'minute', 'viewers'] } as const;

export const familyRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const get = ['GET'] as ('GET' | 'POST')[];
  signedRoute(app, deps, get, FAMILY_PATHS.channelConcurrence, (c, p) => channelConcurrence(deps, c, p), points);
  signedRoute(app, deps, get, FAMILY_PATHS.maxHistoryConcurrent, (c, p) => maxHistoryConcurrent(deps, c, p), {
    scalar: 'viewers',
  });
  signedRoute(app, deps, get, FAMILY_PATHS.channelsConcurrence, (c, p) => channelsConcurrence(deps, c, p), points);
  signedRoute(app, deps, get, FAMILY_PATHS.userConcurrence, (c, p) => userConcurrence(deps, c, p), points);
  signedRoute(app, deps, get, FAMILY_PATHS.userRealtime, (c, p) => userRealtime(deps, c, p), { scalar: 'viewers' });
};
