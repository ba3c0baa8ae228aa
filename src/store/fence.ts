/**
 * Fencing tokens for partitioned writers. A partition's owner claims its key with a token before writing;
 * a write carries the token and commits only if no newer token has claimed the key since, checked inside
 * the write's own transaction. So an owner that lost its lease (paused, cut off) cannot overwrite what the
 * next owner wrote, whatever it believes.
 */

/** Newer tokens compare greater: by generation (the lease bucket's creation), then by epoch (its revision). */
export interface FenceToken {
  key: string;
  generation: number;
  epoch: number;
}

export class FencedError extends Error {
  constructor(key: string) {
    super(`fenced: a newer owner has claimed ${key}`);
    this.name = 'FencedError';
  }
}

/** True when the stored (generation, epoch) is newer than the token's. */
export const newerThan = (stored: { generation: number; epoch: number }, token: FenceToken): boolean =>
  stored.generation > token.generation || (stored.generation === token.generation && stored.epoch > token.epoch);
