import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dayRangeMinutes, MINUTE_MS } from '../../domain/calendar.js';
import type { Segment } from '../../domain/peak.js';
import { errors } from '../../errors.js';
import { dayRange } from '../../service/params.js';
import { CcvImporter, type ImportFormat } from '../../service/import-ccv.js';
import { publicApp, Tenancy } from '../../service/tenancy.js';
import type { ResolvedDeps } from '../app.js';
import { success } from '../envelope.js';

/** Parses a JSON body against a schema; the first issue becomes a "param validate error" naming the field. */
export function body<T extends z.ZodType>(schema: T, req: FastifyRequest): z.output<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw errors.param(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer-token check in constant time; the admin API is refused entirely when no token is configured. */
export function requireToken(expected: () => string, disabled: () => Error) {
  return async (req: FastifyRequest) => {
    const token = expected();
    if (!token) throw disabled();
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!presented || !timingSafeEqual(digest(presented), digest(token))) throw errors.adminUnauthorized();
  };
}

const createAppBody = z.object({
  name: z.string().min(1),
  appId: z.string().optional(),
  appSecret: z.string().optional(),
  rateLimit: z.number().int().positive().nullable().optional(),
});
const patchAppBody = z
  .object({
    name: z.string().min(1).optional(),
    enabled: z.boolean().optional(),
    rateLimit: z.number().int().positive().nullable().optional(),
    ingestToken: z.string().min(16).nullable().optional(),
  })
  .strict();
const userBody = z.object({ userId: z.string() });
const channelBody = z.object({ channelId: z.union([z.string(), z.number().int().nonnegative()]).transform(String) });

type P<K extends string> = { Params: Record<K, string> };

export const adminRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const tenancy = new Tenancy(deps.store);
  app.register(
    async (admin) => {
      admin.addHook(
        'onRequest',
        requireToken(() => deps.config.adminToken, errors.adminDisabled),
      );
      // `curl --data-binary @file.csv` labels a CSV form-encoded; read such bodies as the text they are.
      admin.removeContentTypeParser('application/x-www-form-urlencoded');
      admin.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text, done) =>
        done(null, text),
      );

      admin.post('/apps', async (req, reply) => {
        const a = await tenancy.createApp(body(createAppBody, req));
        const data = { appId: a.appId, appSecret: a.appSecret, name: a.name, enabled: a.enabled };
        return reply.envelope(200, success(data));
      });
      admin.get('/apps', async (_req, reply) => reply.envelope(200, success((await tenancy.listApps()).map(publicApp))));
      admin.get<P<'appId'>>('/apps/:appId', async (req, reply) =>
        reply.envelope(200, success(publicApp(await tenancy.app(req.params.appId)))),
      );
      admin.patch<P<'appId'>>('/apps/:appId', async (req, reply) => {
        const a = await tenancy.updateApp(req.params.appId, body(patchAppBody, req));
        return reply.envelope(200, success(publicApp(a)));
      });
      admin.post<P<'appId'>>('/apps/:appId/secret', async (req, reply) => {
        const a = await tenancy.rotateSecret(req.params.appId);
        return reply.envelope(200, success({ appId: a.appId, appSecret: a.appSecret }));
      });

      admin.post<P<'appId'>>('/apps/:appId/users', async (req, reply) => {
        const user = await tenancy.addUser(req.params.appId, body(userBody, req).userId);
        return reply.envelope(200, success(user));
      });
      admin.get<P<'appId'>>('/apps/:appId/users', async (req, reply) =>
        reply.envelope(200, success(await tenancy.listUsers(req.params.appId))),
      );
      admin.get<P<'userId'>>('/users/:userId', async (req, reply) => {
        const user = await deps.store.getUser(req.params.userId);
        if (!user) throw errors.missing(`user ${req.params.userId}`);
        return reply.envelope(200, success(user));
      });
      admin.delete<P<'userId'>>('/users/:userId', async (req, reply) => {
        await tenancy.removeUser(req.params.userId);
        return reply.envelope(200, success({ userId: req.params.userId, removed: true }));
      });

      admin.post<P<'userId'>>('/users/:userId/channels', async (req, reply) => {
        const channel = await tenancy.addChannel(req.params.userId, body(channelBody, req).channelId);
        return reply.envelope(200, success(channel));
      });
      admin.get<P<'userId'>>('/users/:userId/channels', async (req, reply) =>
        reply.envelope(200, success(await tenancy.listChannels(req.params.userId))),
      );
      admin.get<P<'channelId'>>('/channels/:channelId', async (req, reply) => {
        const channel = await deps.store.getChannel(req.params.channelId);
        if (!channel) throw errors.missing(`channel ${req.params.channelId}`);
        return reply.envelope(200, success(channel));
      });
      admin.get<P<'channelId'> & { Querystring: Record<string, string> }>('/channels/:channelId/minutes', async (req, reply) => {
        const { channelId } = req.params;
        if (!(await deps.store.getChannel(channelId))) throw errors.missing(`channel ${channelId}`);
        const { start, end } = dayRange(req.query, 'start', 'end', deps.config.maxDays);
        const { from, to } = dayRangeMinutes(start, end, deps.config.timeZone);
        const segments = await deps.store.readCurves('channel', [channelId], from, to, req.query.pullType || undefined);
        return reply.envelope(200, success(minuteRows(segments, from, to)));
      });
      const removeChannel = async (channelId: string) => {
        await tenancy.removeChannel(channelId);
        return success({ channelId, removed: true });
      };
      admin.delete<P<'channelId'>>('/channels/:channelId', async (req, reply) =>
        reply.envelope(200, await removeChannel(req.params.channelId)),
      );
      admin.delete<P<'userId' | 'channelId'>>('/users/:userId/channels/:channelId', async (req, reply) => {
        const channel = await deps.store.getChannel(req.params.channelId);
        if (!channel || channel.userId !== req.params.userId) {
          throw errors.missing(`channel ${req.params.channelId} of user ${req.params.userId}`);
        }
        return reply.envelope(200, await removeChannel(req.params.channelId));
      });

      admin.post('/ccv', async (req, reply) => {
        const type = String(req.headers['content-type'] ?? '');
        const format: ImportFormat | undefined = type.includes('csv') ? 'csv' : type.includes('ndjson') ? 'ndjson' : undefined;
        const text =
          typeof req.body === 'string'
            ? req.body
            : Array.isArray(req.body)
              ? req.body.map((r) => JSON.stringify(r)).join('\n')
              : '';
        if (!text.trim()) throw errors.param('body must hold CSV or NDJSON rows channelId,pullType,minute,ccv');
        const result = await new CcvImporter(deps.store, deps.config).importText([text], { format });
        return reply.envelope(200, success(result));
      });
    },
    { prefix: '/admin/v1' },
  );
};

/** Non-zero minutes of the segments inside [from, to), ascending by minute then pull type. */
function minuteRows(segments: Segment[], from: number, to: number) {
  const rows: { minute: number; pullType: string; ccv: number }[] = [];
  for (const s of segments) {
    for (let i = 0; i < s.values.length; i++) {
      const m = s.start + i;
      const v = s.values[i]!;
      if (m >= from && m < to && v > 0) rows.push({ minute: m * MINUTE_MS, pullType: s.key, ccv: v });
    }
  }
  return rows.sort((a, b) => a.minute - b.minute || (a.pullType < b.pullType ? -1 : 1));
}
