/** live-ccv/client: the SDK, published on its own as @live-ccv/client (no server dependencies); re-exported here. */
export * from '@live-ccv/client';
