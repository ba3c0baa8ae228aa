/**
 * The one error catalogue (docs/api.md). Services throw these; the HTTP error handler writes
 * them as the envelope, the CLI prints their message. Messages quoted by POLYV are kept verbatim.
 */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const errors = {
  appIdRequired: () => new ApiError(400, 'appId is required.'),
  appNotFound: () => new ApiError(400, 'application not found.'),
  invalidTimestamp: () => new ApiError(400, 'invalid timestamp.'),
  invalidSignature: () => new ApiError(403, 'invalid signature.'),
  nonceReused: (nonce: string) => new ApiError(403, `signatureNonce already used: ${nonce}`),
  param: (detail: string) => new ApiError(400, `param validate error: ${detail}`),
  illegalUser: (id: string) => new ApiError(403, `illegal user id: ${id}`),
  illegalChannel: (id: string) => new ApiError(403, `illegal channel id: ${id}`),
  notDigit: (value: string) => new ApiError(400, `param is not digit: ${value}`),
  /** POLYV's wording for concurrence-mc, verbatim (typo included) for clients that match on it */
  startDateAfterEndDate: () => new ApiError(400, 'startDate can not great endDater'),
  rateLimited: (retryAfterS: number) =>
    new ApiError(429, 'qps exceeds number of calls', { 'retry-after': String(Math.max(1, Math.ceil(retryAfterS))) }),
  notFound: (what: string) => new ApiError(404, `not found: ${what}`),
  methodNotAllowed: (method: string, path: string) => new ApiError(405, `method not allowed: ${method} ${path}`),
  payloadTooLarge: (limit: number) => new ApiError(413, `request body too large: at most ${limit} bytes`),
  unsupportedMediaType: (type: string) => new ApiError(415, `unsupported content type: ${type}`),
  internal: () => new ApiError(500, 'internal server error.'),
  adminDisabled: () => new ApiError(403, 'admin API disabled: no admin token is configured (LIVE_CCV_ADMIN_TOKEN).'),
  adminUnauthorized: () => new ApiError(401, 'invalid admin token.', { 'www-authenticate': 'Bearer' }),
  ingestUnauthorized: () => new ApiError(401, 'invalid ingest token.', { 'www-authenticate': 'Bearer' }),
  ingestDisabled: () =>
    new ApiError(403, 'heartbeat batches disabled: no ingest token is configured (LIVE_CCV_INGEST_TOKEN or an app ingestToken).'),
  conflict: (what: string) => new ApiError(409, `${what} already exists`),
  missing: (what: string) => new ApiError(404, `${what} not found`),
  unavailable: (what: string) => new ApiError(503, `${what} unavailable`),
  /** a full disk, an I/O error or an unreachable database: nothing was stored, the client retries */
  storageUnavailable: (reason: string) =>
    new ApiError(503, `storage unavailable: ${reason}`, { 'retry-after': String(STORAGE_RETRY_AFTER_S) }),
  /** /readyz while a component fails; the detail names each failing component and why */
  notReady: (detail: string) => new ApiError(503, `not ready: ${detail}`, { 'retry-after': String(STORAGE_RETRY_AFTER_S) }),
  /** a bounded resource (memory for request bodies in flight) is used up; the client retries shortly */
  busy: (detail: string, retryAfterS = 1) => new ApiError(503, `server busy: ${detail}`, { 'retry-after': String(retryAfterS) }),
  requestTimeout: (ms: number) => new ApiError(408, `request timeout: the request was not received within ${ms} ms`),
  headersTooLarge: () => new ApiError(431, 'request headers too large.'),
  badRequest: () => new ApiError(400, 'malformed HTTP request.'),
};

/** How long clients wait before retrying while storage fails; recovery is checked every second. */
export const STORAGE_RETRY_AFTER_S = 5;
