/**
 * Heartbeat ingest endpoints: the public player beacon (CORS, 204) and the authenticated batch endpoint
 * (NDJSON or JSON array, optionally gzip). Both hand the heartbeats to the ingest service, which answers
 * only once the accepted ones are durable.
 *
 * Resource bounds: a beacon body is small (LIVE_CCV_BEACON_BODY_LIMIT, 64 KiB at most) whatever the
 * batch limit; batch bodies in flight share a byte budget (LIVE_CCV_INGEST_INFLIGHT_BYTES, counted after
 * gunzip as they arrive, or from Content-Length before reading) so many large batches at once get 503 and
 * Retry-After instead of growing memory without bound.
 */
import cors from '@fastify/cors';
import { BEACON_PATH, HEARTBEATS_PATH } from '@live-ccv/client/contract';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { bearerToken } from '../../auth/bearer.js';
import { errors } from '../../errors.js';
import type { HeartbeatIngest, IngestScope } from '../../ingest/realtime-port.js';
import { ByteBudget, type ByteLease } from '../../limits/byte-budget.js';
import { metered } from '../../limits/metered-body.js';
import { recordHeartbeats } from '../../metrics/metrics.js';
import type { ResolvedDeps } from '../deps.js';
import { success } from '../envelope.js';

export { BEACON_PATH, HEARTBEATS_PATH };

export const ingestRoutes: FastifyPluginAsync<ResolvedDeps> = async (app, deps) => {
  const ingest = (): HeartbeatIngest => {
    const service = deps.ingest;
    if (!service) throw errors.unavailable('heartbeat ingest (not running in this process)');
    return service;
  };

  await app.register(
    async (beacon) => {
      // A preflight missing its Origin or Access-Control-Request-Method gets the same empty 204 as a good
      // one (not the plugin's plain-text 400): nothing but envelopes or empty answers leave this server.
      await beacon.register(cors, { origin: '*', methods: ['GET', 'POST'], maxAge: 86_400, strictPreflight: false });
      beacon.route({
        method: ['GET', 'POST'],
        url: '/',
        bodyLimit: deps.config.beaconBodyLimit,
        handler: async (req, reply) => {
          const result = await ingest().submit([beaconFields(req)], { scope: { kind: 'global' }, acceptTs: false });
          recordHeartbeats('beacon', result.accepted, result.rejected);
          const refused = result.rejected[0];
          if (refused) throw errors.param(refused.reason);
          return reply.code(204).send();
        },
      });
    },
    { prefix: BEACON_PATH },
  );

  const scopes = new WeakMap<FastifyRequest, IngestScope>();
  const budget = new ByteBudget(deps.config.ingestInflightBytes);
  const leases = new WeakMap<FastifyRequest, ByteLease>();
  const busy = () => errors.busy(`heartbeat batches in flight hold the memory allowed (${budget.capacity} bytes); retry shortly`);
  app.route({
    method: 'POST',
    url: HEARTBEATS_PATH,
    bodyLimit: deps.config.bodyLimit,
    // Authenticate before reading the body, so unauthenticated clients cannot make us parse megabytes.
    onRequest: async (req, reply) => {
      const service = ingest();
      const token = bearerToken(req);
      const scope = token ? service.authorize(token) : undefined;
      if (!scope) throw service.tokensConfigured() ? errors.ingestUnauthorized() : errors.ingestDisabled();
      scopes.set(req, scope);
      const lease = budget.lease();
      // held until the answer is sent or the client goes away: the body and what it parses to live that long
      reply.raw.once('close', () => lease.release());
      leases.set(req, lease);
      // A declared plain body is admitted or refused before a byte of it is read.
      const declared = Number(req.headers['content-length']);
      const plain = (req.headers['content-encoding'] ?? 'identity') === 'identity';
      if (plain && declared > 0 && declared <= deps.config.bodyLimit && !lease.take(declared)) throw busy();
    },
    onResponse: async (req) => leases.get(req)?.release(),
    preParsing: async (req, _reply, payload) => {
      const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding !== 'identity' && encoding !== 'gzip') {
        throw errors.unsupportedMediaType(`content-encoding ${encoding} (use gzip or none)`);
      }
      const body = encoding === 'gzip' ? gunzipped(payload) : payload;
      return metered(body, leases.get(req)!, busy);
    },
    handler: async (req, reply) => {
      const { items, indexes, rejected } = batchItems(req.body);
      const scope = scopes.get(req) ?? { kind: 'global' };
      const result =
        items.length > 0 ? await ingest().submit(items, { scope, acceptTs: true, indexes }) : { accepted: 0, rejected: [] };
      const all = rejected.length > 0 ? [...rejected, ...result.rejected].sort((a, b) => a.index - b.index) : result.rejected;
      recordHeartbeats('batch', result.accepted, all);
      return reply.envelope(200, success({ accepted: result.accepted, rejected: all }));
    },
  });
};

/**
 * The decompressed body. fastify applies bodyLimit to what this stream yields, which is the limit after
 * gunzip (a small bomb cannot expand past it), and compares Content-Length with the compressed bytes.
 */
function gunzipped(payload: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const out = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  const gunzip = createGunzip();
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (err) => out.destroy(err));
  out.on('error', () => undefined); // reported through fastify's listener while it reads (see metered)
  gunzip.on('error', () => out.destroy(errors.param('the request body is not valid gzip')));
  payload.pipe(gunzip).pipe(out);
  return out;
}

/** Beacon fields: the query string, overlaid by a form, JSON or text/plain (sendBeacon) body. */
function beaconFields(req: FastifyRequest): Record<string, unknown> {
  const query = (req.query ?? {}) as Record<string, unknown>;
  let body: unknown = req.body;
  if (typeof body === 'string') {
    const text = body.trim();
    if (text.startsWith('{')) {
      try {
        body = JSON.parse(text);
      } catch {
        throw errors.param('the beacon body is not valid JSON');
      }
    } else body = Object.fromEntries(new URLSearchParams(text));
  }
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    throw errors.param('the beacon body must be one object with channelId, viewerId and pullType');
  }
  return { ...query, ...(body as Record<string, unknown> | undefined) };
}

interface BatchItems {
  items: unknown[];
  indexes: number[] | undefined;
  rejected: { index: number; reason: string }[];
}

/** A JSON array (or one object), or NDJSON text; a malformed NDJSON line is refused alone, by line index. */
function batchItems(body: unknown): BatchItems {
  if (Array.isArray(body)) return { items: body, indexes: undefined, rejected: [] };
  if (typeof body === 'object' && body !== null) return { items: [body], indexes: undefined, rejected: [] };
  if (typeof body !== 'string' || body.trim() === '') {
    throw errors.param('the body must hold heartbeats as NDJSON or a JSON array of {channelId, viewerId, pullType?, ts?}');
  }
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw errors.param('the request body is not valid JSON');
    }
    if (!Array.isArray(parsed)) throw errors.param('the request body is not valid JSON');
    return { items: parsed, indexes: undefined, rejected: [] };
  }
  const items: unknown[] = [];
  const indexes: number[] = [];
  const rejected: BatchItems['rejected'] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      items.push(JSON.parse(line));
      indexes.push(i);
    } catch {
      rejected.push({ index: i, reason: 'not valid JSON' });
    }
  }
  return { items, indexes, rejected };
}
