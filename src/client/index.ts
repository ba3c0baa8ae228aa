/** live-ccv/client: a signed client for POLYV's v3 concurrency API, served by live-ccv or by POLYV. */
export { sign, canonicalString, type SignatureMethod, type SignParams } from '../auth/sign.js';
export { createClient, PATHS, type ClientOptions, type ConcurrenceItem, type PolyvClient, type SummaryItem } from './client.js';
export { PolyvApiError } from './errors.js';
export { parseRetryAfter, type CallOptions, type FetchLike, type HttpMethod } from './transport.js';
