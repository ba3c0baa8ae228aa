/** Shared set-up of the family endpoint tests: signed calls validated against the OpenAPI document. */
import { localToEpochMs, MINUTE_MS } from '../src/domain/calendar.js';
import type { App } from '../src/store/port.js';
import { query, signed, type Fixture } from './helpers.js';
import { validated } from './openapi-validate.js';

export const PATHS = {
  concurrence: '/live/v3/channel/statistics/concurrence',
  maxHistory: '/live/v3/channel/statistics/get-max-history-concurrent',
  mc: '/live/v3/channel/statistics/concurrence-mc',
  user: '/live/v3/user/statistics/concurrence',
  realtime: '/live/v3/user/statistics/realtime-concurrence',
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
