/** Signing for the SDK, in Node and in browsers: the contract's canonical string, hashed with @noble/hashes. */
import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalString, methodOf, type SignatureMethod, type SignParams } from './contract/canonical.js';

/** Upper-case hex signature; the method defaults to the params' signatureMethod, else MD5. */
export function sign(params: SignParams, secret: string, method: SignatureMethod = methodOf(params)): string {
  const bytes = utf8ToBytes(canonicalString(params, secret));
  return bytesToHex(method === 'SHA256' ? sha256(bytes) : md5(bytes)).toUpperCase();
}
