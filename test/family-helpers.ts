/** Shared set-up of the family endpoint tests: signed calls validated against the OpenAPI document. */
import {
  channelConcurrence,
  channelMaxHistoryConcurrent,
  channelsConcurrence,
  userConcurrence,
  userRealtimeConcurrence,
} from '@live-ccv/client/contract';
import { localToEpochMs, MINUTE_MS } from '../src/domain/calendar.js';
import type { App } from '../src/store/port.js';
import { query, signed, type Fixture } from './helpers.js';
import { validated } from './openapi-validate.js';

/** The family's paths, from the contract (test/contract.test.ts pins them to POLYV's). */
export const PATHS = {
  concurrence: channelConcurrence.path,
  maxHistory: channelMaxHistoryConcurrent.path,
  mc: channelsConcurrence.path,
  user: userConcurrence.path,
  realtime: userRealtimeConcurrence.path,
} as const;

/** Epoch minute of a local wall-clock time, e.g. local('2024-03-10 00:00', 'Asia/Shanghai'). */
export function local(text: string, timeZone: string): number {
  const [y, m, d, hh, mm] = text.split(/[- :]/).map(Number) as [number, number, number, number, number];
  return localToEpochMs({ y, m, d, hh, mm }, timeZone) / MINUTE_MS;
}

/** A signed GET validated against the OpenAPI document; the envelope (or CSV text) comes back. */
export async function call(
  f: Fixture,
  path: string,
  params: Record<string, string>,
  options: { caller?: Pick<App, 'appId' | 'appSecret'>; headers?: Record<string, string> } = {},
) {
  const url = `${path}?${query(signed(options.caller ?? f.caller, params))}`;
  const res = await validated(f.app, { method: 'GET', url, headers: options.headers });
  const isJson = String(res.headers['content-type']).startsWith('application/json');
  return {
    status: res.statusCode,
    body: (isJson ? res.json() : undefined) as { code: number; status: string; message: string; data: unknown },
    text: res.body,
    headers: res.headers,
  };
}
