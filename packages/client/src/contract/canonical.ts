/**
 * POLYV's string to sign (docs/api.md, Signing): every parameter but `sign` whose value is not blank (POLYV's Java
 * signer drops null, empty and whitespace-only values with `isBlank`), sorted by name in ASCII order, concatenated
 * as name+value with raw values, wrapped in the secret on both sides. Hashing it is left to the runtime: the server
 * uses node:crypto, the SDK a pure-JS hash that also runs in browsers.
 */
import { isBlank } from './params.js';

export type SignatureMethod = 'MD5' | 'SHA256';
export type SignParams = Readonly<Record<string, string | number | boolean | null | undefined>>;

export function canonicalString(params: SignParams, secret: string): string {
  const names = Object.keys(params)
    .filter((k) => {
      const v = params[k];
      return k !== 'sign' && v !== undefined && v !== null && !isBlank(String(v));
    })
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let body = '';
  for (const k of names) body += k + String(params[k]);
  return secret + body + secret;
}

/** The method a request asks for: its signatureMethod parameter, MD5 unless SHA256 (any case). */
export function methodOf(params: SignParams): SignatureMethod {
  return String(params.signatureMethod ?? '').toUpperCase() === 'SHA256' ? 'SHA256' : 'MD5';
}
