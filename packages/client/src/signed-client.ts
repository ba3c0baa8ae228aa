/**
 * Typed methods for POLYV's v3 concurrency family, one per endpoint of the contract (./contract/signed.ts): names,
 * parameters and answer types all come from there, so a new endpoint needs no code here. Parameters are named
 * exactly as POLYV names them, so the same client works against live-ccv and against POLYV's own host.
 */
import type { z } from 'zod';
import type { SignatureMethod } from './contract/canonical.js';
import { fieldsOf, type FieldDef, type KindName, type ParamDef } from './contract/params.js';
import { signedEndpoints, type SignedEndpoints } from './contract/signed.js';
import { sign } from './sign.js';
import { randomNonce, Transport, type CallOptions, type ParamValue, type TransportOptions } from './transport.js';

export interface ClientOptions extends TransportOptions {
  appId: string;
  appSecret: string;
  /** GET (query string, the default) or POST (application/x-www-form-urlencoded, everything signed) */
  method?: 'GET' | 'POST';
  /** MD5 (default, sent implicitly) or SHA256 (sent as signatureMethod) */
  signatureMethod?: SignatureMethod;
}

/** What a caller passes for a parameter of each kind: lists as arrays or comma text, instants as ms or a Date. */
type KindInput<K extends KindName> = K extends 'userIds' | 'channelIds'
  ? string | readonly string[]
  : K extends 'epochMs'
    ? number | Date
    : string;
type Fields<P extends readonly ParamDef[]> = Extract<P[number], FieldDef>;
/** The input object of a parameter list: required fields required, optional ones optional. */
export type InputOf<P extends readonly ParamDef[]> = {
  [F in Fields<P> as F['required'] extends true ? F['field'] : never]: KindInput<F['kind']>;
} & {
  [F in Fields<P> as F['required'] extends true ? never : F['field']]?: KindInput<F['kind']>;
};

type Method<E extends SignedEndpoints> =
  Partial<InputOf<E['params']>> extends InputOf<E['params']>
    ? (q?: InputOf<E['params']>, o?: CallOptions) => Promise<z.output<E['answer']>>
    : (q: InputOf<E['params']>, o?: CallOptions) => Promise<z.output<E['answer']>>;

export type PolyvClient = { [E in SignedEndpoints as E['name']]: Method<E> } & {
  /** Any other signed endpoint of the same family: returns the envelope's data untyped. */
  call<T = unknown>(path: string, params: Record<string, ParamValue>, o?: CallOptions): Promise<T>;
};

/** Each endpoint's path by SDK method name. */
export const PATHS = Object.fromEntries(signedEndpoints.map((e) => [e.name, e.path])) as {
  [E in SignedEndpoints as E['name']]: E['path'];
};

/** The wire text of an input value. */
export function wireValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.join(',');
  if (value instanceof Date) return String(value.getTime());
  return String(value);
}

/** The business parameters of an endpoint call, in wire form. */
export function encodeParams(params: readonly ParamDef[], input: Readonly<Record<string, unknown>>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const f of fieldsOf(params)) out[f.field] = wireValue(input[f.field]);
  return out;
}

export function createClient(options: ClientOptions): PolyvClient {
  if (!options.appId) throw new TypeError('appId is required');
  if (!options.appSecret) throw new TypeError('appSecret is required');
  const t = new Transport(options);

  const signedParams = (business: Record<string, ParamValue>, call: CallOptions): Record<string, string> => {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(business)) if (v !== undefined && v !== null && String(v) !== '') params[k] = String(v);
    params.appId = options.appId;
    params.timestamp = String(Date.now());
    params.signatureNonce = randomNonce();
    if (options.signatureMethod === 'SHA256') params.signatureMethod = 'SHA256';
    if (call.requestId) params.requestId = call.requestId;
    params.sign = sign(params, options.appSecret);
    return params;
  };

  const call = <T>(path: string, business: Record<string, ParamValue>, o: CallOptions = {}): Promise<T> =>
    t.send<T>(() => {
      const form = new URLSearchParams(signedParams(business, o)).toString();
      const method = o.method ?? options.method ?? 'GET';
      return method === 'GET'
        ? { method, path: `${path}?${form}` }
        : { method, path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form };
    }, o.signal);

  const client: Record<string, unknown> = { call };
  for (const e of signedEndpoints) {
    client[e.name] = (q: Record<string, unknown> = {}, o?: CallOptions) => call(e.path, encodeParams(e.params, q), o);
  }
  return client as PolyvClient;
}
