/**
 * Where a cluster deployment's partition fences live in the store, apart from the NATS client (./nats.ts): the
 * freshness service reads them in every process, and only cluster processes load that client.
 */

/** Fence keys of a deployment's partitions start with this (src/service/freshness.ts reads them). */
export const fenceKeyPrefix = (prefix: string) => `${prefix}/partition/`;
