/**
 * The one error type the SDK throws. A server's refusal carries the envelope's `code` and `message`;
 * a request that never got an answer (network failure, timeout) has code 0 and httpStatus 0, with the
 * underlying error as `cause`, so callers need only one `instanceof` check.
 */
export class PolyvApiError extends Error {
  readonly code: number;
  readonly httpStatus: number;
  /** The server's request id (envelope `requestId` or `X-Request-Id` header), for support tickets. */
  readonly requestId: string | undefined;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfterS: number | undefined;
  /** live-ccv's stable error code (`X-Error-Code`, e.g. CCV_ERR_INVALID_SIGNATURE); undefined from other hosts */
  readonly errorCode: string | undefined;

  constructor(init: {
    code: number;
    message: string;
    httpStatus: number;
    requestId?: string | undefined;
    retryAfterS?: number | undefined;
    errorCode?: string | undefined;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PolyvApiError';
    this.code = init.code;
    this.httpStatus = init.httpStatus;
    this.requestId = init.requestId;
    this.retryAfterS = init.retryAfterS;
    this.errorCode = init.errorCode;
  }

  /** True for answers worth another attempt: rate limits, server errors, no answer at all. */
  get retryable(): boolean {
    return this.code === 0 || this.code === 429 || this.code >= 500 || this.httpStatus === 429 || this.httpStatus >= 500;
  }
}
