/**
 * The server's side of the error catalogue (@live-ccv/client/contract, errors.ts): services throw ApiErrors made
 * here; the HTTP error handler writes them as the envelope (with the stable code in `X-Error-Code`), the CLI prints
 * their message on one line.
 */
import { catalogue, type CatalogueEntry, type CatalogueKey } from '@live-ccv/client/contract';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** the catalogue's stable code, e.g. CCV_ERR_INVALID_SIGNATURE */
    readonly errorCode = 'CCV_ERR_INTERNAL',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Args<K extends CatalogueKey> = (typeof catalogue)[K] extends CatalogueEntry<infer A> ? A : never;

function make<K extends CatalogueKey>(key: K, headers: (...args: Args<K>) => Record<string, string> = () => ({})) {
  const e = catalogue[key] as unknown as CatalogueEntry<Args<K>>;
  return (...args: Args<K>) => new ApiError(e.status, e.message(...args), headers(...args), e.code);
}

const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) });

export const errors = {
  appIdRequired: make('appIdRequired'),
  appNotFound: make('appNotFound'),
  invalidTimestamp: make('invalidTimestamp'),
  invalidSignature: make('invalidSignature'),
  nonceReused: make('nonceReused'),
  param: make('param'),
  illegalUser: make('illegalUser'),
  illegalChannel: make('illegalChannel'),
  notDigit: make('notDigit'),
  /** POLYV's wording for concurrence-mc, verbatim (typo included) for clients that match on it */
  startDateAfterEndDate: make('startDateAfterEndDate'),
  rateLimited: (retryAfterS: number) => {
    const e = catalogue.rateLimited;
    return new ApiError(e.status, e.message(), retryAfter(retryAfterS), e.code);
  },
  notFound: make('notFound'),
  methodNotAllowed: make('methodNotAllowed'),
  payloadTooLarge: make('payloadTooLarge'),
  uriTooLong: make('uriTooLong'),
  headersTooLarge: make('headersTooLarge'),
  unsupportedMediaType: make('unsupportedMediaType'),
  internal: make('internal'),
  adminDisabled: make('adminDisabled'),
  adminUnauthorized: make('adminUnauthorized', () => ({ 'www-authenticate': 'Bearer' })),
  ingestUnauthorized: make('ingestUnauthorized', () => ({ 'www-authenticate': 'Bearer' })),
  ingestDisabled: make('ingestDisabled'),
  conflict: make('conflict'),
  missing: make('missing'),
  unavailable: make('unavailable'),
  requestTimeout: make('requestTimeout'),
  /** a full disk, an I/O error or an unreachable database: nothing was stored, the client retries */
  storageUnavailable: make('storageUnavailable', () => retryAfter(STORAGE_RETRY_AFTER_S)),
  /** /readyz while a component fails; the detail names each failing component and why */
  notReady: make('notReady', () => retryAfter(STORAGE_RETRY_AFTER_S)),
  /** a bounded resource (memory for request bodies in flight) is used up; the client retries shortly */
  busy: make('busy', () => retryAfter(1)),
};

/** How long clients wait before retrying while storage fails; recovery is checked every second. */
export const STORAGE_RETRY_AFTER_S = 5;
