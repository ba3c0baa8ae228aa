import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * POLYV's request signature (docs/api.md), shared by the server and the client SDK.
 * Parameters with an empty value (undefined, null, '') and `sign` itself are left out; the rest are
 * sorted by name (ASCII), concatenated as name+value with raw values, wrapped in the secret on both sides.
 */
export type SignatureMethod = 'MD5' | 'SHA256';
export type SignParams = Record<string, string | number | boolean | null | undefined>;

export function canonicalString(params: SignParams, secret: string): string {
  const names = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null && String(params[k]) !== '')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let body = '';
  for (const k of names) body += k + String(params[k]);
  return secret + body + secret;
}

/** Upper-case hex signature; the method defaults to the params' signatureMethod, else MD5. */
export function sign(params: SignParams, secret: string, method?: SignatureMethod): string {
  const m = method ?? (String(params.signatureMethod ?? '').toUpperCase() === 'SHA256' ? 'SHA256' : 'MD5');
  const algorithm = m === 'SHA256' ? 'sha256' : 'md5';
  return createHash(algorithm).update(canonicalString(params, secret), 'utf8').digest('hex').toUpperCase();
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
