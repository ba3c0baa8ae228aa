/**
 * The OpenAPI 3.1 description of the whole HTTP API, served at /openapi.json, generated from the contract
 * (@live-ccv/client/contract): paths, parameters and answer schemas come from the endpoint definitions, error
 * answers from the error catalogue. The tests validate every answer they receive against it and compare its
 * operations with the app's routes.
 */
import {
  ADMIN_PREFIX,
  adminEndpoints,
  BatchResult,
  BEACON_PATH,
  catalogue,
  fieldsOf,
  Heartbeat,
  HEARTBEATS_PATH,
  kinds,
  opsEndpoints,
  PATH_PARAM_RULES,
  SIGNED_COMMON,
  signedEndpoints,
  type CatalogueKey,
  type ParamDef,
} from '@live-ccv/client/contract';
import { z } from 'zod';
import { version } from '../version.js';

type Json = Record<string, unknown>;

function schema(type: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(type, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}
const json = (s: Json): Json => ({ 'application/json': { schema: s } });
const str: Json = { type: 'string' };

const ENVELOPE_ERROR: Json = {
  type: 'object',
  required: ['code', 'status', 'message', 'data'],
  additionalProperties: false,
  properties: { code: { type: 'integer' }, status: { const: 'error' }, message: str, data: { const: '' } },
};

function envelopeOf(data: Json): Json {
  return {
    type: 'object',
    required: ['code', 'status', 'message', 'data'],
    additionalProperties: false,
    properties: { code: { const: 200 }, status: { const: 'success' }, message: { const: '' }, data },
  };
}
const ok = (data: Json, description = 'success envelope'): Json => ({ description, content: json(envelopeOf(data)) });

/** Error responses by status, each described by the catalogue entries it can carry. */
function errorResponses(keys: readonly CatalogueKey[]): Record<string, Json> {
  const byStatus = new Map<number, string[]>();
  for (const k of keys) {
    const e = catalogue[k];
    byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), `${e.code}: ${e.when}`]);
  }
  const out: Record<string, Json> = {};
  for (const [status, lines] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: lines.join('; '),
      headers: { 'X-Error-Code': { description: 'the catalogue code', schema: str } },
      content: json({ $ref: '#/components/schemas/ErrorEnvelope' }),
    };
  }
  return out;
}

const queryParam = (name: string, required: boolean, description: string, s: Json = str): Json => ({
  name,
  in: 'query',
  required,
  description,
  schema: s,
});
const contractParams = (params: readonly ParamDef[]): Json[] =>
  fieldsOf(params).map((f) => queryParam(f.field, f.required, f.doc, schema(kinds[f.kind].wire)));
const SIGNED_PARAMS = SIGNED_COMMON.map((p) => queryParam(p.name, p.required, p.doc));

const SIGNED_ERRORS: CatalogueKey[] = [
  'appIdRequired',
  'appNotFound',
  'invalidTimestamp',
  'param',
  'notDigit',
  'startDateAfterEndDate',
  'invalidSignature',
  'nonceReused',
  'illegalUser',
  'illegalChannel',
  'rateLimited',
  'internal',
];

function signedPaths(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const e of signedEndpoints) {
    const get: Json = {
      tags: ['signed'],
      operationId: e.name,
      summary: e.summary,
      description: e.description,
      parameters: [...SIGNED_PARAMS, ...contractParams(e.params)],
      responses: {
        '200': {
          description: 'success envelope, or CSV (header row) when asked for',
          headers: {
            'X-RateLimit-Limit': { schema: { type: 'integer' } },
            'X-RateLimit-Remaining': { schema: { type: 'integer' } },
            'X-RateLimit-Reset': { schema: { type: 'integer' } },
          },
          content: { ...json(envelopeOf(schema(e.answer))), 'text/csv': { schema: str } },
        },
        ...errorResponses([
          ...SIGNED_ERRORS,
          ...(e.name === 'userRealtimeConcurrence' ? (['unavailable'] as const) : []),
          ...(e.errors ?? []),
        ]),
      },
    };
    const ops: Json = { get };
    if ((e.methods as readonly string[]).includes('POST')) {
      ops.post = {
        ...get,
        operationId: `${e.name}Post`,
        description: `${e.description} A form body is signed with the query; a JSON body is not signed and supplies business parameters only (a list parameter may be a JSON array).`,
        parameters: SIGNED_PARAMS,
        requestBody: {
          required: false,
          content: {
            'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: str } },
            'application/json': { schema: { type: 'object' } },
          },
        },
      };
    }
    out[e.path] = ops;
  }
  return out;
}

const ADMIN_ERRORS: CatalogueKey[] = ['param', 'adminUnauthorized', 'adminDisabled', 'missing', 'conflict', 'internal'];

function adminPaths(): Record<string, Json> {
  const out: Record<string, Record<string, Json>> = {};
  for (const e of adminEndpoints) {
    const template = ADMIN_PREFIX + e.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const names = [...e.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    const op: Json = {
      tags: ['admin'],
      operationId: e.name,
      summary: e.summary,
      security: [{ adminToken: [] }],
      parameters: [
        ...names.map((n) => ({
          name: n,
          in: 'path',
          required: true,
          schema: { type: 'string', pattern: PATH_PARAM_RULES[n]?.pattern.source },
        })),
        ...('query' in e && e.query ? contractParams(e.query) : []),
      ],
      responses: {
        '200': ok(schema(e.answer)),
        ...errorResponses([
          ...ADMIN_ERRORS,
          ...(e.name.endsWith('Realtime') ? (['unavailable'] as const) : []),
          ...('errors' in e && e.errors ? e.errors : []),
        ]),
      },
    };
    if ('body' in e && e.body) op.requestBody = { required: true, content: json(schema(e.body, 'input')) };
    if ('textBody' in e && e.textBody) {
      op.requestBody = {
        required: true,
        content: {
          'text/csv': { schema: str },
          'application/x-ndjson': { schema: str },
          'application/json': { schema: { type: 'array' } },
        },
      };
    }
    out[template] ??= {};
    out[template][e.method.toLowerCase()] = op;
  }
  return out;
}

function ingestPaths(): Record<string, Json> {
  const beaconParams = [
    queryParam('channelId', true, 'the channel (digits)'),
    queryParam('viewerId', true, 'a stable id of the viewer'),
    queryParam('pullType', false, 'cdn (default), rtc, p2p or as configured'),
  ];
  const beacon = (method: 'GET' | 'POST'): Json => ({
    tags: ['ingest'],
    operationId: `beacon${method === 'GET' ? 'Get' : 'Post'}`,
    summary: `Heartbeat of one viewer (${method}, public, CORS)`,
    parameters: beaconParams,
    ...(method === 'POST'
      ? {
          requestBody: {
            required: false,
            content: {
              'application/json': { schema: { type: 'object' } },
              'application/x-www-form-urlencoded': { schema: { type: 'object' } },
              'text/plain': { schema: str },
            },
          },
        }
      : {}),
    responses: {
      '204': { description: 'accepted (durable)' },
      ...errorResponses(['param', 'payloadTooLarge', 'unsupportedMediaType', 'internal', 'unavailable']),
    },
  });
  return {
    [BEACON_PATH]: { get: beacon('GET'), post: beacon('POST') },
    [HEARTBEATS_PATH]: {
      post: {
        tags: ['ingest'],
        operationId: 'heartbeats',
        summary: 'Batch of heartbeats (bearer ingest token)',
        security: [{ ingestToken: [] }],
        requestBody: {
          required: true,
          content: { 'application/x-ndjson': { schema: str }, ...json({ type: 'array', items: schema(Heartbeat, 'input') }) },
        },
        responses: {
          '200': ok(schema(BatchResult), 'counts; each rejected heartbeat with its index and reason'),
          ...errorResponses([
            'param',
            'ingestUnauthorized',
            'ingestDisabled',
            'payloadTooLarge',
            'unsupportedMediaType',
            'internal',
            'unavailable',
          ]),
        },
      },
    },
  };
}

function opsPaths(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const e of opsEndpoints) {
    const types = typeof e.raw === 'string' ? [e.raw] : (e.raw ?? ['text/plain']);
    const responses: Record<string, Json> = e.answer
      ? { '200': ok(schema(e.answer)) }
      : {
          '200': {
            description: e.summary,
            content: Object.fromEntries(types.map((t) => [t, { schema: t === 'application/json' ? { type: 'object' } : str }])),
          },
        };
    for (const [status, description] of Object.entries(e.errors ?? {})) {
      responses[status] = { description, content: json({ $ref: '#/components/schemas/ErrorEnvelope' }) };
    }
    const parameters = Object.entries(e.pathParams ?? {}).map(([name, description]) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: str,
    }));
    out[e.path.replace(/:([A-Za-z]+)/g, '{$1}')] = {
      get: { tags: ['ops'], summary: e.summary, ...(parameters.length > 0 ? { parameters } : {}), responses },
    };
  }
  return out;
}

let cached: Json | undefined;

export function openApiDocument(): Json {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'live-ccv',
      version,
      description:
        "Concurrent-viewer metering, wire-compatible with POLYV's v3 concurrency API. Every answer is the envelope {code, status, message, data}; HTTP status equals code unless LIVE_CCV_ALWAYS_200 is set. Errors carry their stable catalogue code in X-Error-Code.",
    },
    tags: [
      { name: 'signed', description: 'POLYV-signed API (appId, timestamp, sign)' },
      { name: 'ingest', description: 'heartbeat collection' },
      { name: 'admin', description: 'administration (bearer admin token)' },
      { name: 'ops', description: 'health and this document' },
    ],
    paths: { ...signedPaths(), ...ingestPaths(), ...adminPaths(), ...opsPaths() },
    components: {
      schemas: { ErrorEnvelope: ENVELOPE_ERROR },
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'LIVE_CCV_ADMIN_TOKEN' },
        ingestToken: { type: 'http', scheme: 'bearer', description: 'LIVE_CCV_INGEST_TOKEN or an application ingestToken' },
      },
    },
  };
  return cached;
}
