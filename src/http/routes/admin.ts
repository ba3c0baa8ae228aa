/**
 * The admin API, registered from the contract (@live-ccv/client/contract, admin.ts): the bearer token first, then
 * path parameters (ids that cannot exist are refused before any store is asked), query parameters (the signed API's
 * checks), the JSON body (its schema's first issue answers `param validate error: <field>: <why>`), then the handler.
 * A new admin endpoint is one definition there and one handler here.
 */
import {
  ADMIN_PREFIX,
  adminEndpoints,
  compileParams,
  PATH_PARAM_RULES,
  type AdminEndpoints,
  type ParamDef,
  type Parsed,
  type PathParams,
} from '@live-ccv/client/contract';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { requireAdmin } from '../../auth/bearer.js';
import { errors } from '../../errors.js';
import { CcvImporter, type ImportFormat, type ImportResult } from '../../service/import-ccv.js';
import { accounts, realtimeViewers } from '../../service/accounts.js';
import { channelsCurve, summaryCurve } from '../../service/curves.js';
import { limitsOf, paramError } from '../../service/signed.js';
import { publicApp, Tenancy } from '../../service/tenancy.js';
import { Viewers } from '../../service/viewers.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';
import { isStreamed, registerStreamedText, StreamedText } from '../streamed-text.js';

type Query<E> = E extends { query?: infer Q }
  ? NonNullable<Q> extends readonly ParamDef[]
    ? Parsed<NonNullable<Q>>
    : object
  : object;
type Body<E> = E extends { body?: infer B }
  ? NonNullable<B> extends z.ZodType
    ? z.output<NonNullable<B>>
    : undefined
  : undefined;

interface AdminRequest<E extends AdminEndpoints> {
  params: { [K in PathParams<E['path']>]: string };
  query: Query<E>;
  body: Body<E>;
  req: FastifyRequest;
}

type Handlers = { [E in AdminEndpoints as E['name']]: (r: AdminRequest<E>) => Promise<z.input<E['answer']>> };

/** Parses a JSON body against a schema; the first issue becomes a "param validate error" naming the field. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'body';
    throw errors.param(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const EMPTY_IMPORT = 'body must hold CSV or NDJSON rows channelId,pullType,minute,ccv';

function importFormat(req: FastifyRequest): ImportFormat | undefined {
  const type = String(req.headers['content-type'] ?? '');
  return type.includes('csv') ? 'csv' : type.includes('ndjson') ? 'ndjson' : undefined;
}

/**
 * The import of one request: a text body is parsed as it arrives (../streamed-text.ts), a JSON array of rows
 * as the lines it stands for. Rows are grouped while the body arrives and written in one transaction after its
 * last byte, so a request cut off or refused (413) midway writes nothing.
 */
async function importBody(deps: ResolvedDeps, req: FastifyRequest): Promise<ImportResult> {
  // no write before the body's end, whatever its size (the body limit bounds the rows held)
  const importer = new CcvImporter(deps.store, deps.config, Number.POSITIVE_INFINITY);
  const body = req.body;
  if (isStreamed(body)) {
    const text = new StreamedText(req, body, deps.config.bodyLimit);
    const result = await importer.importText(text, { format: importFormat(req) });
    if (text.blank) throw errors.param(EMPTY_IMPORT);
    return result;
  }
  const text = typeof body === 'string' ? body : Array.isArray(body) ? body.map((r) => JSON.stringify(r)).join('\n') : '';
  if (!text.trim()) throw errors.param(EMPTY_IMPORT);
  return importer.importText([text], { format: importFormat(req) });
}

export const adminRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const tenancy = new Tenancy(deps.store);
  const viewers = new Viewers(deps);
  const removed = <K extends string>(key: K, id: string) =>
    ({ [key]: id, removed: true as const }) as { [P in K]: string } & { removed: true };

  const handlers: Handlers = {
    createApp: async ({ body }) => {
      const a = await tenancy.createApp(body);
      return { appId: a.appId, appSecret: a.appSecret, name: a.name, enabled: a.enabled };
    },
    listApps: async () => (await tenancy.listApps()).map(publicApp),
    getApp: async ({ params }) => publicApp(await tenancy.app(params.appId)),
    updateApp: async ({ params, body }) => publicApp(await tenancy.updateApp(params.appId, body)),
    rotateSecret: async ({ params }) => {
      const a = await tenancy.rotateSecret(params.appId);
      return { appId: a.appId, appSecret: a.appSecret };
    },
    addUser: async ({ params, body }) => tenancy.addUser(params.appId, body.userId),
    listUsers: async ({ params }) => tenancy.listUsers(params.appId),
    getUser: async ({ params }) => tenancy.user(params.userId),
    removeUser: async ({ params }) => {
      await tenancy.removeUser(params.userId);
      return removed('userId', params.userId);
    },
    addChannel: async ({ params, body }) => tenancy.addChannel(params.userId, body.channelId),
    listChannels: async ({ params }) => tenancy.listChannels(params.userId),
    removeUserChannel: async ({ params }) => {
      await tenancy.removeUserChannel(params.userId, params.channelId);
      return removed('channelId', params.channelId);
    },
    getChannel: async ({ params }) => tenancy.channel(params.channelId),
    removeChannel: async ({ params }) => {
      await tenancy.removeChannel(params.channelId);
      return removed('channelId', params.channelId);
    },
    channelMinutes: async ({ params, query }) => viewers.channelMinutes(params.channelId, query.start, query.end, query.pullType),
    channelRealtime: async ({ params, query }) => ({ viewers: await viewers.channelNow(params.channelId, query.pullType) }),
    userRealtime: async ({ params, query }) => ({ viewers: await viewers.userNow(params.userId, query.pullType) }),
    importCcv: async ({ req }) => importBody(deps, req),
    // The signed views of an application, for an operator: the same services, the application named by the path.
    appAccounts: async ({ params }) => accounts(deps, await tenancy.app(params.appId)),
    appSummaryCurve: async ({ params, query }) => summaryCurve(deps, await tenancy.app(params.appId), query),
    appChannelsCurve: async ({ params, query }) => channelsCurve(deps, await tenancy.app(params.appId), query),
    appRealtimeViewers: async ({ params }) => realtimeViewers(deps, await tenancy.app(params.appId)),
  };

  const limits = limitsOf(deps.config);
  await app.register(
    async (admin) => {
      admin.addHook(
        'onRequest',
        requireAdmin(() => deps.config.adminToken),
      );
      // `curl --data-binary @file.csv` labels a CSV form-encoded; read such bodies as the text they are.
      admin.removeContentTypeParser('application/x-www-form-urlencoded');
      admin.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, text, done) =>
        done(null, text),
      );

      const route = (scope: FastifyInstance, e: AdminEndpoints) => {
        const parseQuery = 'query' in e && e.query ? compileParams(e.query, limits) : undefined;
        const body = 'body' in e ? e.body : undefined;
        const handler = handlers[e.name] as (r: AdminRequest<AdminEndpoints>) => Promise<unknown>;
        scope.route({
          method: e.method,
          url: e.path,
          handler: async (req, reply) => {
            const params = req.params as Record<string, string>;
            for (const [name, value] of Object.entries(params)) {
              const rule = PATH_PARAM_RULES[name];
              if (rule && !rule.pattern.test(value)) throw errors.param(`${name} must be ${rule.rule}`);
            }
            let query = {};
            if (parseQuery) {
              const parsed = parseQuery(req.query as Record<string, string>);
              if (!parsed.ok) throw paramError(parsed.failure);
              query = parsed.value;
            }
            const data = await handler({ params, query, body: body ? parseBody(body, req.body) : undefined, req } as never);
            return reply.envelope(200, success(data));
          },
        });
      };
      for (const e of adminEndpoints as readonly AdminEndpoints[]) {
        // a text body endpoint (the import) reads its body as it arrives, in a scope of its own
        if ('textBody' in e && e.textBody) {
          await admin.register(async (streamed) => {
            registerStreamedText(streamed, deps.config.bodyLimit);
            route(streamed, e);
          });
        } else route(admin, e);
      }
    },
    { prefix: ADMIN_PREFIX },
  );
};
