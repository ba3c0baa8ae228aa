/**
 * The error catalogue: every refusal the server can answer, with a stable code (like fastify's `FST_ERR_*`), its
 * HTTP status and its message. Messages quoted from POLYV are verbatim (typos included) because clients match on
 * them; the codes are this project's and never change meaning. The server answers the code in the `X-Error-Code`
 * header next to the POLYV envelope (whose shape stays POLYV's), and docs/api.md's error table is generated from
 * this list (a test keeps the two equal).
 */
export interface CatalogueEntry<A extends unknown[] = never[]> {
  code: string;
  status: number;
  /** the message, from the entry's arguments */
  message: (...args: A) => string;
  /** when it is answered, for the docs */
  when: string;
}

const entry = <A extends unknown[]>(code: string, status: number, when: string, message: (...args: A) => string) =>
  ({ code: `CCV_ERR_${code}`, status, when, message }) satisfies CatalogueEntry<A>;

export const catalogue = {
  appIdRequired: entry('APP_ID_REQUIRED', 400, 'appId missing or empty', () => 'appId is required.'),
  appNotFound: entry('APP_NOT_FOUND', 400, 'appId unknown, malformed or disabled', () => 'application not found.'),
  invalidTimestamp: entry(
    'INVALID_TIMESTAMP',
    400,
    'timestamp missing, not 13 digits, or more than the window (3 min) from server time',
    () => 'invalid timestamp.',
  ),
  invalidSignature: entry('INVALID_SIGNATURE', 403, 'sign missing or wrong', () => 'invalid signature.'),
  nonceReused: entry(
    'NONCE_REUSED',
    403,
    'signatureNonce already used inside the window',
    (nonce: string) => `signatureNonce already used: ${nonce}`,
  ),
  param: entry(
    'PARAM',
    400,
    'a business parameter is missing or malformed, a range is reversed or over its limit, a body is malformed',
    (detail: string) => `param validate error: ${detail}`,
  ),
  notDigit: entry(
    'NOT_DIGIT',
    400,
    'a channel id that is not digits (v3 family)',
    (value: string) => `param is not digit: ${value}`,
  ),
  startDateAfterEndDate: entry(
    'START_AFTER_END',
    400,
    'concurrence-mc with startDate after endDate (POLYV wording)',
    () => 'startDate can not great endDater',
  ),
  illegalUser: entry('ILLEGAL_USER', 403, 'a user id the application does not own', (id: string) => `illegal user id: ${id}`),
  illegalChannel: entry(
    'ILLEGAL_CHANNEL',
    403,
    'a channel id the application does not own',
    (id: string) => `illegal channel id: ${id}`,
  ),
  rateLimited: entry(
    'RATE_LIMITED',
    429,
    'per-IP or per-app rate limit exceeded (with Retry-After)',
    () => 'qps exceeds number of calls',
  ),
  adminUnauthorized: entry(
    'ADMIN_UNAUTHORIZED',
    401,
    'admin API called without the right bearer token',
    () => 'invalid admin token.',
  ),
  adminDisabled: entry(
    'ADMIN_DISABLED',
    403,
    'admin API called while no admin token is configured',
    () => 'admin API disabled: no admin token is configured (LIVE_CCV_ADMIN_TOKEN).',
  ),
  ingestUnauthorized: entry(
    'INGEST_UNAUTHORIZED',
    401,
    'heartbeat batch without a valid ingest token',
    () => 'invalid ingest token.',
  ),
  ingestDisabled: entry(
    'INGEST_DISABLED',
    403,
    'heartbeat batch while no ingest token is configured',
    () => 'heartbeat batches disabled: no ingest token is configured (LIVE_CCV_INGEST_TOKEN or an app ingestToken).',
  ),
  notFound: entry('NOT_FOUND', 404, 'unknown path', (what: string) => `not found: ${what}`),
  missing: entry('MISSING', 404, 'an admin API entity that does not exist', (what: string) => `${what} not found`),
  methodNotAllowed: entry(
    'METHOD_NOT_ALLOWED',
    405,
    'a known path with another method',
    (method: string, path: string) => `method not allowed: ${method} ${path}`,
  ),
  requestTimeout: entry(
    'REQUEST_TIMEOUT',
    408,
    'a request (headers and body) not received within LIVE_CCV_REQUEST_TIMEOUT_MS; the connection is closed',
    (ms: number) => `request timeout: the request was not received within ${ms} ms`,
  ),
  conflict: entry('CONFLICT', 409, 'an admin API create of an entity that exists', (what: string) => `${what} already exists`),
  payloadTooLarge: entry(
    'PAYLOAD_TOO_LARGE',
    413,
    'a request body over the limit (after gunzip for ingest)',
    (limit: number) => `request body too large: at most ${limit} bytes`,
  ),
  uriTooLong: entry('URI_TOO_LONG', 414, 'a path segment over 100 characters', () => 'request URI too long'),
  unsupportedMediaType: entry(
    'UNSUPPORTED_MEDIA_TYPE',
    415,
    'a body content type or encoding the endpoint does not read',
    (type: string) => `unsupported content type: ${type}`,
  ),
  headersTooLarge: entry(
    'HEADERS_TOO_LARGE',
    431,
    'request headers over the server limit',
    () => 'request header fields too large',
  ),
  internal: entry(
    'INTERNAL',
    500,
    'anything unexpected (details only in the server log, with the request id)',
    () => 'internal server error.',
  ),
  unavailable: entry('UNAVAILABLE', 503, 'a part this process does not run', (what: string) => `${what} unavailable`),
  storageUnavailable: entry(
    'STORAGE_UNAVAILABLE',
    503,
    'a write the storage cannot take now (disk full, I/O error) or a database out of reach; nothing was stored (with Retry-After)',
    (reason: string) => `storage unavailable: ${reason}`,
  ),
  notReady: entry(
    'NOT_READY',
    503,
    '/readyz while a component fails, each named with its reason (with Retry-After)',
    (detail: string) => `not ready: ${detail}`,
  ),
  busy: entry(
    'BUSY',
    503,
    'heartbeat batches in flight over LIVE_CCV_INGEST_INFLIGHT_BYTES (with Retry-After)',
    (detail: string) => `server busy: ${detail}`,
  ),
} as const;

export type CatalogueKey = keyof typeof catalogue;
