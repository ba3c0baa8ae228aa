/**
 * The OpenAPI 3.1 description of the whole HTTP API, served at /openapi.json. The tests validate every
 * response they receive against it (test/openapi-validate.ts) and compare its paths with the app's
 * routes, so it cannot drift from the code. Schemas stay in the subset of JSON Schema that both
 * OpenAPI 3.1 and the validator's draft understand (type arrays for null, const, pattern).
 */
import { SUMMARY_PATH } from './routes/summary.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const errorRef = (description: string): Json => ({ description, content: json(ref('ErrorEnvelope')) });
const ok = (data: Json, description = 'success envelope'): Json => ({ description, content: json(envelopeOf(data)) });

function envelopeOf(data: Json): Json {
  return {
    type: 'object',
    required: ['code', 'status', 'message', 'data'],
    additionalProperties: false,
    properties: { code: { const: 200 }, status: { const: 'success' }, message: { const: '' }, data },
  };
}

const object = (properties: Record<string, Json>, required = Object.keys(properties)): Json => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties,
});
const str: Json = { type: 'string' };
const int: Json = { type: 'integer', minimum: 0 };
const query = (name: string, description: string, required = false, schema: Json = str): Json => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});
const pathParam = (name: string): Json => ({ name, in: 'path', required: true, schema: str });

// ---- the signed POLYV API ----------------------------------------------------------------------------

const signedParams: Json[] = [
  query('appId', 'the calling application', true),
  query('timestamp', '13-digit epoch milliseconds, within 3 minutes of server time', true, {
    type: 'string',
    pattern: '^\\d{13}$',
  }),
  query('sign', 'POLYV signature: MD5 (or SHA-256) of secret + sorted key/value pairs + secret, upper-case hex', true),
  query('signatureMethod', 'MD5 (default) or SHA256', false, { type: 'string', enum: ['MD5', 'SHA256', 'md5', 'sha256'] }),
  query('signatureNonce', 'one-time string; refused when seen again inside the timestamp window'),
  query('requestId', 'client request id, echoed in the server log'),
  query('format', 'json (default) or csv; CSV is also chosen by Accept: text/csv', false, {
    type: 'string',
    enum: ['json', 'csv'],
  }),
];
const ymd = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const pullTypeParam = query('pullType', 'count only this pull type (cdn, rtc, p2p or as configured); all together by default');
const userIdParam = query('userId', 'the user; required when the application owns several users');

function signedResponses(data: Json, extra: Record<string, Json> = {}): Json {
  return {
    '200': {
      description: 'success envelope, or CSV (header row) when asked for',
      headers: {
        'X-RateLimit-Limit': { schema: { type: 'integer' } },
        'X-RateLimit-Remaining': { schema: { type: 'integer' } },
        'X-RateLimit-Reset': { schema: { type: 'integer' } },
      },
      content: { ...json(envelopeOf(data)), 'text/csv': { schema: str } },
    },
    '400': errorRef(
      'appId missing or unknown, invalid timestamp, or a business parameter is wrong ("param validate error: ...", "param is not digit: X")',
    ),
    '403': errorRef(
      'invalid signature, reused nonce, or an id the application does not own ("illegal user id: X", "illegal channel id: X")',
    ),
    '429': errorRef('"qps exceeds number of calls", with Retry-After'),
    '500': errorRef('unexpected failure; details only in the server log'),
    ...extra,
  };
}

function signedGet(summary: string, description: string, params: Json[], data: Json, extra?: Record<string, Json>): Json {
  return {
    tags: ['signed'],
    summary,
    description,
    parameters: [...signedParams, ...params],
    responses: signedResponses(data, extra),
  };
}

const points = { type: 'array', items: ref('ViewerPoint') };

const summaryParams = [
  query('users', 'user ids, comma-separated (at most LIVE_CCV_MAX_USERS)', true),
  query('start', 'first local day, yyyy-MM-dd', true, ymd),
  query('end', 'last local day, inclusive (at most LIVE_CCV_MAX_DAYS days)', true, ymd),
];
const summaryGet = signedGet(
  'Multi-user concurrency summary (the seed endpoint)',
  'For each pull type, the peak over the local days start..end of the per-minute sum across the users, and the earliest minute reaching it.',
  summaryParams,
  { type: 'array', items: ref('SummaryItem') },
);
const summaryPost = {
  ...summaryGet,
  description: 'As GET. A form body is signed with the query; a JSON body is not signed and supplies business parameters only.',
  parameters: signedParams,
  requestBody: {
    required: false,
    content: {
      'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: { type: 'string' } } },
      'application/json': { schema: { type: 'object' } },
    },
  },
};

const family: Record<string, Json> = {
  '/live/v3/channel/statistics/concurrence': {
    get: signedGet(
      'Per-minute CCV of one channel',
      'Every minute of the local days startDate..endDate (at most 62 days), zeros included, ascending.',
      [
        query('channelId', 'the channel (digits)', true),
        query('startDate', 'first local day', true, ymd),
        query('endDate', 'last local day, inclusive', true, ymd),
        pullTypeParam,
      ],
      points,
    ),
  },
  '/live/v3/channel/statistics/get-max-history-concurrent': {
    get: signedGet(
      'Peak per-minute CCV of one channel over a time window',
      'Peak over the minutes overlapping [startTime, endTime) (span at most 92 days); 0 without data.',
      [
        query('channelId', 'the channel (digits)', true),
        query('startTime', 'epoch ms, inclusive', true, { type: 'string', pattern: '^\\d+$' }),
        query('endTime', 'epoch ms, exclusive', true, { type: 'string', pattern: '^\\d+$' }),
        pullTypeParam,
      ],
      int,
    ),
  },
  '/live/v3/channel/statistics/concurrence-mc': {
    get: signedGet(
      'CCV of several channels summed',
      'One point per minute for a single day; one point per day (its peak, minute "00:00") when the range spans several days (at most 31). Start after end: "startDate can not great endDater".',
      [
        query('channelIds', 'channel ids, comma-separated', true),
        query('startDate', 'first local day', true, ymd),
        query('endDate', 'last local day, inclusive', true, ymd),
        pullTypeParam,
      ],
      points,
    ),
  },
  '/live/v3/user/statistics/concurrence': {
    get: signedGet(
      "Per-minute CCV of a user's channels summed",
      'Every minute of the local days startDate..endDate (at most 62 days), zeros included, ascending.',
      [
        query('startDate', 'first local day', true, ymd),
        query('endDate', 'last local day, inclusive', true, ymd),
        userIdParam,
        pullTypeParam,
      ],
      points,
    ),
  },
  '/live/v3/user/statistics/realtime-concurrence': {
    get: signedGet(
      "Viewers of a user's channels now",
      'Distinct viewers with a heartbeat in the last 60 s, summed over the channels.',
      [userIdParam, pullTypeParam],
      int,
      { '503': errorRef('"realtime unavailable": this process does not run the heartbeat ingest') },
    ),
  },
};

// ---- ingest ------------------------------------------------------------------------------------------

const ingestResult = object({
  accepted: int,
  rejected: { type: 'array', items: object({ index: int, reason: str }) },
});
const beaconParams = [
  query('channelId', 'the channel (digits)', true),
  query('viewerId', 'a stable id of the viewer', true),
  query('pullType', 'cdn (default), rtc, p2p or as configured'),
];
const beacon = (method: string): Json => ({
  tags: ['ingest'],
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
    '400': errorRef('a parameter is wrong, e.g. an unknown pull type or a channel nobody owns'),
    '413': errorRef('body too large'),
    '415': errorRef('unsupported content type'),
    '503': errorRef('the heartbeat ingest does not run in this process'),
  },
});

const ingest: Record<string, Json> = {
  '/v1/beacon': { get: beacon('GET'), post: beacon('POST') },
  '/v1/heartbeats': {
    post: {
      tags: ['ingest'],
      summary: 'Batch of heartbeats (bearer ingest token)',
      security: [{ ingestToken: [] }],
      requestBody: {
        required: true,
        content: {
          'application/x-ndjson': { schema: str },
          'application/json': { schema: { type: 'array', items: ref('Heartbeat') } },
        },
      },
      responses: {
        '200': ok(ingestResult, 'counts; each rejected heartbeat with its index and reason'),
        '400': errorRef('the body cannot be read'),
        '401': errorRef('missing or wrong ingest token'),
        '403': errorRef('ingest disabled or a channel outside the token'),
        '413': errorRef('body too large'),
        '415': errorRef('unsupported content type or encoding (gzip or none)'),
        '503': errorRef('the heartbeat ingest does not run in this process'),
      },
    },
  },
};

// ---- admin -------------------------------------------------------------------------------------------

const adminErrors = {
  '400': errorRef('"param validate error: ..." naming the field'),
  '401': errorRef('missing or wrong admin token'),
  '403': errorRef('admin API disabled (no admin token configured)'),
  '404': errorRef('not found'),
  '409': errorRef('already exists'),
};
const admin = (summary: string, data: Json, extra: Json = {}): Json => ({
  tags: ['admin'],
  summary,
  security: [{ adminToken: [] }],
  ...extra,
  responses: { '200': ok(data), ...adminErrors },
});
const jsonBody = (schema: Json): Json => ({ requestBody: { required: true, content: json(schema) } });
const withPath = (names: string[], op: Json): Json => ({
  ...op,
  parameters: [...names.map(pathParam), ...((op.parameters as Json[]) ?? [])],
});
const removed = (key: string) => object({ [key]: str, removed: { const: true } });
const viewers = object({ viewers: int });
const realtimeOp = (name: string, summary: string): Json => {
  const op = withPath([name], admin(summary, viewers, { parameters: [pullTypeParam] }));
  return {
    ...op,
    responses: { ...(op.responses as Json), '503': errorRef('the heartbeat ingest does not run in this process') },
  };
};

const adminPaths: Record<string, Json> = {
  '/admin/v1/apps': {
    post: admin(
      'Create an application',
      ref('NewAppCredentials'),
      jsonBody(object({ name: str, appId: str, appSecret: str, rateLimit: { type: ['integer', 'null'] } }, ['name'])),
    ),
    get: admin('List applications (secrets omitted)', { type: 'array', items: ref('App') }),
  },
  '/admin/v1/apps/{appId}': {
    get: withPath(['appId'], admin('One application', ref('App'))),
    patch: withPath(
      ['appId'],
      admin(
        'Update an application',
        ref('App'),
        jsonBody(
          object(
            {
              name: str,
              enabled: { type: 'boolean' },
              rateLimit: { type: ['integer', 'null'] },
              ingestToken: { type: ['string', 'null'] },
            },
            [],
          ),
        ),
      ),
    ),
  },
  '/admin/v1/apps/{appId}/secret': {
    post: withPath(['appId'], admin('Rotate the secret', object({ appId: str, appSecret: str }))),
  },
  '/admin/v1/apps/{appId}/users': {
    post: withPath(['appId'], admin('Add a user', ref('User'), jsonBody(object({ userId: str })))),
    get: withPath(['appId'], admin("The application's users", { type: 'array', items: ref('User') })),
  },
  '/admin/v1/users/{userId}': {
    get: withPath(['userId'], admin('One user', ref('User'))),
    delete: withPath(['userId'], admin('Remove a user (its minute data stays)', removed('userId'))),
  },
  '/admin/v1/users/{userId}/channels': {
    post: withPath(
      ['userId'],
      admin('Add a channel', ref('Channel'), jsonBody(object({ channelId: { type: ['string', 'integer'] } }))),
    ),
    get: withPath(['userId'], admin("The user's channels", { type: 'array', items: ref('Channel') })),
  },
  '/admin/v1/users/{userId}/channels/{channelId}': {
    delete: withPath(['userId', 'channelId'], admin("Remove one of the user's channels", removed('channelId'))),
  },
  '/admin/v1/users/{userId}/realtime': {
    get: realtimeOp('userId', "Viewers of the user's channels now (heartbeat in the last 60 s)"),
  },
  '/admin/v1/channels/{channelId}': {
    get: withPath(['channelId'], admin('One channel', ref('Channel'))),
    delete: withPath(['channelId'], admin('Remove a channel (its minute data stays)', removed('channelId'))),
  },
  '/admin/v1/channels/{channelId}/minutes': {
    get: withPath(
      ['channelId'],
      admin(
        "The channel's non-zero minutes over local days",
        { type: 'array', items: object({ minute: int, pullType: str, ccv: int }) },
        {
          parameters: [
            query('start', 'first local day', true, ymd),
            query('end', 'last local day', true, ymd),
            query('pullType', 'one pull type only'),
          ],
        },
      ),
    ),
  },
  '/admin/v1/channels/{channelId}/realtime': {
    get: realtimeOp('channelId', 'Viewers of the channel now (heartbeat in the last 60 s)'),
  },
  '/admin/v1/ccv': {
    post: admin(
      'Import final per-minute CCV (idempotent)',
      object({ accepted: int, rejected: { type: 'array', items: object({ line: int, reason: str }) } }),
      {
        requestBody: {
          required: true,
          content: {
            'text/csv': { schema: str },
            'application/x-ndjson': { schema: str },
            'application/json': { schema: { type: 'array', items: { type: 'object' } } },
          },
        },
      },
    ),
  },
};

// ---- the document ------------------------------------------------------------------------------------

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'live-ccv',
      version: '0.1.0',
      description:
        "Concurrent-viewer metering, wire-compatible with POLYV's v3 concurrency API. Every answer is the envelope {code, status, message, data}; HTTP status equals code unless LIVE_CCV_ALWAYS_200 is set.",
    },
    tags: [
      { name: 'signed', description: 'POLYV-signed API (appId, timestamp, sign)' },
      { name: 'ingest', description: 'heartbeat collection' },
      { name: 'admin', description: 'administration (bearer admin token)' },
      { name: 'ops', description: 'health and this document' },
    ],
    paths: {
      [SUMMARY_PATH]: { get: summaryGet, post: summaryPost },
      ...family,
      ...ingest,
      ...adminPaths,
      '/healthz': {
        get: {
          tags: ['ops'],
          summary: 'Liveness: the process answers (asks no dependency)',
          responses: { '200': ok(object({ ok: { const: true } })) },
        },
      },
      '/readyz': {
        get: {
          tags: ['ops'],
          summary: 'Readiness: every component of this process works (store, heartbeat log, minute flush, shared limits)',
          responses: {
            '200': ok(
              object({
                ready: { const: true },
                components: {
                  type: 'object',
                  additionalProperties: object({ ok: { type: 'boolean' }, detail: str, since: { type: 'integer' } }, ['ok']),
                },
              }),
            ),
            '503': errorRef('not ready: <component>: <reason> since <time>; ... (with Retry-After)'),
          },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['ops'],
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1 document', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'LIVE_CCV_ADMIN_TOKEN' },
        ingestToken: { type: 'http', scheme: 'bearer', description: "LIVE_CCV_INGEST_TOKEN or an app's ingest token" },
      },
      schemas: {
        ErrorEnvelope: object({
          code: { type: 'integer', minimum: 400, maximum: 599 },
          status: { const: 'error' },
          message: { type: 'string', minLength: 1 },
          data: { const: '' },
        }),
        ViewerPoint: object({
          day: ymd,
          minute: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' },
          viewers: int,
        }),
        SummaryItem: object({
          statAt: { type: 'integer', description: 'epoch ms of the earliest minute reaching the peak' },
          peakCCV: { type: 'string', pattern: '^\\d+$' },
          pullType: str,
        }),
        App: object(
          {
            appId: str,
            name: str,
            enabled: { type: 'boolean' },
            rateLimit: { type: ['integer', 'null'] },
            hasIngestToken: { type: 'boolean', description: 'whether the app has its own ingest token (never shown)' },
            createdAt: int,
          },
          ['appId', 'name', 'enabled'],
        ),
        NewAppCredentials: object({ appId: str, appSecret: str, name: str, enabled: { type: 'boolean' } }),
        User: object({ userId: str, appId: str, createdAt: int }),
        Channel: object({ channelId: str, userId: str, appId: str, createdAt: int }),
        Heartbeat: object(
          { channelId: { type: ['string', 'integer'] }, viewerId: str, pullType: str, ts: { type: ['integer', 'string'] } },
          ['channelId', 'viewerId'],
        ),
      },
    },
  };
}
