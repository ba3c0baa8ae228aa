/**
 * App ingest tokens are stored as their SHA-256 only: the batch endpoint hashes the presented bearer
 * token and looks the hash up, so a copy of the store gives no usable token. (A salt would add nothing:
 * the tokens are long random strings, not passwords, and the lookup must be by hash.) Stores written
 * before hashing hold plaintext; `storedTokenHash` reads both, and the start-up rewrite hashes them.
 */
import { createHash } from 'node:crypto';

const PREFIX = 'sha256:';

export function hashIngestToken(token: string): string {
  return PREFIX + createHash('sha256').update(token).digest('hex');
}

export const isTokenHash = (stored: string) => /^sha256:[0-9a-f]{64}$/.test(stored);

/** The hash form of a stored value, whether it was stored hashed or (before hashing) in plaintext. */
export function storedTokenHash(stored: string): string {
  return isTokenHash(stored) ? stored : hashIngestToken(stored);
}
