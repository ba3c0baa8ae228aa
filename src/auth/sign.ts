/**
 * POLYV's request signature on the server (docs/api.md, Signing): the contract's canonical string hashed with
 * node:crypto (native and fast on the hot path; the SDK hashes the same string with a pure-JS library that also runs
 * in browsers, and a test keeps the two equal).
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { canonicalString, methodOf, type SignatureMethod, type SignParams } from '@live-ccv/client/contract';

export type { SignatureMethod, SignParams };

/** Upper-case hex signature; the method defaults to the params' signatureMethod, else MD5. */
export function sign(params: SignParams, secret: string, method: SignatureMethod = methodOf(params)): string {
  const algorithm = method === 'SHA256' ? 'sha256' : 'md5';
  // one-shot: no Hash object per call (node:crypto's hash(), Node 20.12+)
  return hash(algorithm, canonicalString(params, secret), 'hex').toUpperCase();
}

/** Constant-time comparison of a presented signature with the expected one; hex case does not matter. */
export function signatureMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented.toUpperCase(), 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
