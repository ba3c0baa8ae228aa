/** The wire contract of live-ccv: endpoints, parameters, answers and the error catalogue, defined once. */
export * from './admin.js';
export * from './errors.js';
export * from './ingest.js';
export * from './params.js';
export * from './signed.js';
export * from './ymd.js';
export { canonicalString, methodOf, type SignParams, type SignatureMethod } from './canonical.js';
export * from './ops.js';
export * from './views.js';
