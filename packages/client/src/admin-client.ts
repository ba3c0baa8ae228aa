/**
 * Typed methods for live-ccv's admin API (bearer token), one per endpoint of the contract (./contract/admin.ts).
 * A method takes one object: the path's parameters, the query's, and the JSON body's fields (or `text` for a CSV or
 * NDJSON import). Only idempotent calls are retried: a create that timed out may have happened.
 */
import type { z } from 'zod';
import { ADMIN_PREFIX, adminEndpoints, type AdminEndpoints, type PathParams } from './contract/admin.js';
import { fieldsOf, type ParamDef } from './contract/params.js';
import { encodeParams, type InputOf } from './signed-client.js';
import { Transport, type Attempt, type TransportOptions } from './transport.js';

export interface AdminClientOptions extends TransportOptions {
  /** the server's LIVE_CCV_ADMIN_TOKEN */
  adminToken: string;
}

type BodyInput<E> = E extends { body?: infer B }
  ? NonNullable<B> extends z.ZodType
    ? z.input<NonNullable<B>>
    : unknown
  : unknown;
type QueryInput<E> = E extends { query?: infer Q }
  ? NonNullable<Q> extends readonly ParamDef[]
    ? InputOf<NonNullable<Q>>
    : unknown
  : unknown;
type TextInput<E> = E extends { textBody: true } ? { text: string; contentType?: string } : unknown;
export type AdminInput<E extends AdminEndpoints> = { [K in PathParams<E['path']>]: string } & BodyInput<E> &
  QueryInput<E> &
  TextInput<E>;

type Method<E extends AdminEndpoints> =
  Partial<AdminInput<E>> extends AdminInput<E>
    ? (input?: AdminInput<E>, o?: { signal?: AbortSignal }) => Promise<z.output<E['answer']>>
    : (input: AdminInput<E>, o?: { signal?: AbortSignal }) => Promise<z.output<E['answer']>>;

export type AdminClient = { [E in AdminEndpoints as E['name']]: Method<E> };

const pathNames = (path: string) => [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);

export function createAdminClient(options: AdminClientOptions): AdminClient {
  if (!options.adminToken) throw new TypeError('adminToken is required');
  const auth = { authorization: `Bearer ${options.adminToken}` };
  const idempotent = new Transport(options);
  const once = new Transport({ ...options, retries: 0 });
  const client: Record<string, unknown> = {};
  for (const e of adminEndpoints as readonly AdminEndpoints[]) {
    const names = pathNames(e.path);
    const query: readonly ParamDef[] = 'query' in e && e.query ? e.query : [];
    const queryFields = new Set(fieldsOf(query).map((f) => f.field));
    const retried = e.method !== 'POST' || e.name === 'importCcv';
    client[e.name] = (input: Record<string, unknown> = {}, o: { signal?: AbortSignal } = {}) => {
      let path = ADMIN_PREFIX + e.path;
      for (const n of names) path = path.replace(`:${n}`, encodeURIComponent(String(input[n] ?? '')));
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(encodeParams(query, input))) if (v !== undefined && v !== null) qs.set(k, String(v));
      if (qs.size > 0) path += `?${qs}`;
      const attempt: Attempt = { method: e.method, path, headers: { ...auth } };
      if ('textBody' in e && e.textBody) {
        attempt.headers!['content-type'] = String(input.contentType ?? 'text/csv');
        attempt.body = String(input.text ?? '');
      } else if ('body' in e && e.body) {
        const body: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(input)) if (!names.includes(k) && !queryFields.has(k)) body[k] = v;
        attempt.headers!['content-type'] = 'application/json';
        attempt.body = JSON.stringify(body);
      }
      return (retried ? idempotent : once).send(() => attempt, o.signal);
    };
  }
  return client as AdminClient;
}
