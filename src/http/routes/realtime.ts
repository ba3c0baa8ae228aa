/** "Now" viewer counts under the admin API: distinct viewers with a beat in the last 60 s. */
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../../errors.js';
import type { Realtime } from '../../ingest/realtime-port.js';
import type { ResolvedDeps } from '../app.js';
import { success } from '../envelope.js';
import { requireToken } from './admin.js';

type Req<K extends string> = { Params: Record<K, string>; Querystring: { pullType?: string } };

export const realtimeRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const realtime = (): Realtime => {
    if (!deps.realtime) throw errors.unavailable('realtime viewer counts (the heartbeat ingest is not running in this process)');
    return deps.realtime;
  };
  const pullType = (value: string | undefined): string | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!deps.config.pullTypes.includes(value)) {
      throw errors.param(`pullType must be one of ${deps.config.pullTypes.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value;
  };

  app.register(
    async (admin) => {
      admin.addHook(
        'onRequest',
        requireToken(() => deps.config.adminToken, errors.adminDisabled),
      );
      admin.get<Req<'channelId'>>('/channels/:channelId/realtime', async (req, reply) => {
        const p = pullType(req.query.pullType);
        const { channelId } = req.params;
        if (!(await deps.store.getChannel(channelId))) throw errors.missing(`channel ${channelId}`);
        return reply.envelope(200, success({ viewers: await realtime().channelViewers(channelId, p) }));
      });
      admin.get<Req<'userId'>>('/users/:userId/realtime', async (req, reply) => {
        const p = pullType(req.query.pullType);
        const { userId } = req.params;
        if (!(await deps.store.getUser(userId))) throw errors.missing(`user ${userId}`);
        const channels = (await deps.store.listChannels(userId)).map((c) => c.channelId);
        return reply.envelope(200, success({ viewers: await realtime().channelsViewers(channels, p) }));
      });
    },
    { prefix: '/admin/v1' },
  );
};
