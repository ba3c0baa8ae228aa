/** Parsing of business parameters shared by the API endpoints; failures are catalogue errors. */
import { daysBetween, parseYmd, type Ymd } from '../domain/calendar.js';
import { errors } from '../errors.js';

export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const CHANNEL_ID = /^\d{1,20}$/;

export function required(params: Record<string, string>, name: string): string {
  const v = params[name]?.trim();
  if (!v) throw errors.param(`${name} is required`);
  return v;
}

/**
 * A comma list of ids, spaces around commas tolerated, duplicates dropped (a user counts once). A malformed
 * id is a param error unless the endpoint has its own (POLYV's "param is not digit: X" for channel ids).
 */
export function idList(
  params: Record<string, string>,
  name: string,
  pattern: RegExp,
  max: number,
  malformed: (id: string) => Error = (id) => errors.param(`${name} contains a malformed id: ${id}`),
): string[] {
  const ids = [
    ...new Set(
      required(params, name)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length === 0) throw errors.param(`${name} is required`);
  const bad = ids.find((id) => !pattern.test(id));
  if (bad !== undefined) throw malformed(bad);
  if (ids.length > max) throw errors.param(`${name} has ${ids.length} ids, at most ${max} are allowed`);
  return ids;
}

export function day(params: Record<string, string>, name: string): Ymd {
  const text = required(params, name);
  const parsed = parseYmd(text);
  if (!parsed) throw errors.param(`${name} must be a date yyyy-MM-dd, got ${text}`);
  return parsed;
}

/** start..end inclusive, start not after end, at most maxDays days. */
export function dayRange(
  params: Record<string, string>,
  startName: string,
  endName: string,
  maxDays: number,
  afterMessage?: string,
): { start: Ymd; end: Ymd } {
  const start = day(params, startName);
  const end = day(params, endName);
  const span = daysBetween(start, end) + 1;
  if (span < 1) throw afterMessage ? errors.param(afterMessage) : errors.param(`${startName} is after ${endName}`);
  if (span > maxDays) throw errors.param(`the range spans ${span} days, at most ${maxDays} are allowed`);
  return { start, end };
}
