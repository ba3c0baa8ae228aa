/**
 * Parameters of the signed API, defined once: each has a kind (its wire form, its parsed type and its checks with
 * POLYV's exact messages), and an endpoint lists its parameters and cross-parameter checks in the order POLYV checks
 * them. The server parses requests with `parseParams` (the first failure answers), the client SDK derives its method
 * types from the same list, the OpenAPI document its parameter table, and the CLI its flags.
 */
import { z } from 'zod';
import { daysBetween, parseYmd, type Ymd } from './ymd.js';

/** Limits a deployment configures; the parameter checks depend on them. */
export interface Limits {
  /** ids per list parameter (users, channelIds) */
  maxUsers: number;
  /** days per summary call */
  maxDays: number;
  pullTypes: readonly string[];
}

export const DEFAULT_LIMITS: Limits = { maxUsers: 1000, maxDays: 92, pullTypes: ['cdn', 'rtc', 'p2p'] };

export const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const CHANNEL_ID = /^\d{1,20}$/;
const EPOCH_MS = /^\d{1,15}$/;

/**
 * A refusal found while parsing: which catalogue entry answers (a `param validate error` unless said otherwise)
 * and its argument.
 */
export interface ParamFailure {
  error: 'param' | 'notDigit' | 'startDateAfterEndDate';
  detail: string;
}

const fail = (detail: string): ParamFailure => ({ error: 'param', detail });

/** A request's raw value: text, or a list (a JSON array in a JSON body). */
export type RawValue = string | readonly string[];
export type RawParams = Readonly<Record<string, RawValue | undefined>>;

/**
 * A kind: how one parameter's text is parsed and checked (POLYV's exact messages), and its wire form. The parse is a
 * plain function rather than a zod transform: it runs on every signed call, where a zod parse of a call's few
 * parameters cost ~4 µs and ~1 KB of garbage; zod describes the wire form, for OpenAPI and the docs.
 */
type Kind<T> = {
  /** parses a present, non-blank value of the parameter `name` */
  parse(name: string, text: string, limits: Limits): T | ParamFailure;
  /** whether a list (a JSON array in a JSON body) is accepted as the value */
  list?: boolean;
  /** the wire form, for OpenAPI and the docs */
  wire: z.ZodString;
};

const isFailure = (v: unknown): v is ParamFailure =>
  typeof v === 'object' && v !== null && 'error' in v && 'detail' in v && !Array.isArray(v);

/**
 * The items of a comma list in order: spaces around commas tolerated, empty items and duplicates dropped. One pass
 * (every signed call splits its users): duplicates looked for in the list itself while it is short, in a set after.
 */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let seen: Set<string> | undefined;
  for (let at = 0; at <= text.length; ) {
    let end = text.indexOf(',', at);
    if (end < 0) end = text.length;
    const item = text.slice(at, end).trim();
    at = end + 1;
    if (item === '' || (seen ? seen.has(item) : out.includes(item))) continue;
    out.push(item);
    if (seen) seen.add(item);
    else if (out.length > 16) seen = new Set(out);
  }
  return out;
}

/** A comma list of ids; spaces around commas tolerated, duplicates dropped (a user counts once). */
function idList(pattern: RegExp, malformed: (name: string, id: string) => ParamFailure): Kind<string[]> {
  return {
    wire: z.string().describe('comma-separated ids (a JSON array in a JSON body)'),
    list: true,
    parse: (name, text, limits) => {
      const ids = splitList(text);
      if (ids.length === 0) return fail(`${name} is required`);
      const bad = ids.find((id) => !pattern.test(id));
      if (bad !== undefined) return malformed(name, bad);
      if (ids.length > limits.maxUsers) return fail(`${name} has ${ids.length} ids, at most ${limits.maxUsers} are allowed`);
      return ids;
    },
  };
}

const kind = <T>(wire: z.ZodString, parse: (name: string, text: string, limits: Limits) => T | ParamFailure): Kind<T> => ({
  wire,
  parse,
});

export const kinds = {
  userIds: idList(USER_ID, (name, id) => fail(`${name} contains a malformed id: ${id}`)),
  channelIds: idList(CHANNEL_ID, (_name, id) => ({ error: 'notDigit', detail: id })),
  day: kind<Ymd>(
    z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    (name, text) => parseYmd(text) ?? fail(`${name} must be a date yyyy-MM-dd, got ${text}`),
  ),
  epochMs: kind<number>(z.string().regex(EPOCH_MS), (name, text) =>
    EPOCH_MS.test(text) ? Number(text) : fail(`${name} must be epoch milliseconds, got ${text}`),
  ),
  channelId: kind<string>(z.string().regex(CHANNEL_ID), (_name, text) =>
    CHANNEL_ID.test(text) ? text : { error: 'notDigit', detail: text },
  ),
  userId: kind<string>(z.string().regex(USER_ID), (name, text) =>
    USER_ID.test(text) ? text : fail(`${name} must be 1-64 letters, digits, _ or -, got ${text}`),
  ),
  pullType: kind<string>(z.string().regex(/^[a-z0-9_-]{1,16}$/), (name, text, limits) =>
    limits.pullTypes.includes(text) ? text : fail(`${name} must be one of ${limits.pullTypes.join(', ')}, got ${text}`),
  ),
} as const;

export type KindName = keyof typeof kinds;
type KindValue<K extends KindName> = (typeof kinds)[K] extends Kind<infer T> ? T : never;

export interface FieldDef<N extends string = string, K extends KindName = KindName, R extends boolean = boolean> {
  field: N;
  kind: K;
  required: R;
  doc: string;
}

/** A check across parameters parsed before it; it sees them by name. */
export interface CheckDef {
  check: string;
  run(parsed: Readonly<Record<string, unknown>>, limits: Limits): ParamFailure | undefined;
}

export type ParamDef = FieldDef | CheckDef;

export const required = <N extends string, K extends KindName>(field: N, kind: K, doc: string): FieldDef<N, K, true> => ({
  field,
  kind,
  required: true,
  doc,
});
export const optional = <N extends string, K extends KindName>(field: N, kind: K, doc: string): FieldDef<N, K, false> => ({
  field,
  kind,
  required: false,
  doc,
});

/**
 * start..end inclusive: start not after end, at most `maxDays` days (a number, or the deployment's summary limit).
 * `after` replaces the reversed-range failure (concurrence-mc answers POLYV's own sentence).
 */
export function dayRange(start: string, end: string, maxDays: number | 'limit', after?: ParamFailure): CheckDef {
  return {
    check: `${start}..${end}`,
    run(parsed, limits) {
      const span = daysBetween(parsed[start] as Ymd, parsed[end] as Ymd) + 1;
      if (span < 1) return after ?? fail(`${start} is after ${end}`);
      const max = maxDays === 'limit' ? limits.maxDays : maxDays;
      if (span > max) return fail(`the range spans ${span} days, at most ${max} are allowed`);
      return undefined;
    },
  };
}

/** [start, end) in epoch ms: start not after end, the span at most `maxMs` (described as `words`). */
export function timeSpan(start: string, end: string, maxMs: number, words: string): CheckDef {
  return {
    check: `${start}..${end}`,
    run(parsed) {
      const a = parsed[start] as number;
      const b = parsed[end] as number;
      if (a > b) return fail(`${start} is after ${end}`);
      if (b - a > maxMs) return fail(`the span from ${start} to ${end} is over ${words} (${maxMs} ms)`);
      return undefined;
    },
  };
}

const isField = (p: ParamDef): p is FieldDef => 'field' in p;
export const fieldsOf = (params: readonly ParamDef[]): FieldDef[] => params.filter(isField);

/** The parsed parameters of a parameter list: required fields present, optional ones possibly undefined. */
export type Parsed<P extends readonly ParamDef[]> = {
  [F in Extract<P[number], FieldDef> as F['field']]: F['required'] extends true
    ? KindValue<F['kind']>
    : KindValue<F['kind']> | undefined;
};

/** Whitespace as Java's Character.isWhitespace sees it (POLYV's `isBlank`): no-break spaces are not blank. */
export function isBlank(value: string): boolean {
  // the common case, a value starting with a printable ASCII character, without a regular expression
  const first = value.charCodeAt(0);
  if (first > 0x20 && first < 0x7f) return false;
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    const javaWhitespace =
      (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || (/\p{Z}/u.test(ch) && c !== 0xa0 && c !== 0x2007 && c !== 0x202f);
    if (!javaWhitespace) return false;
  }
  return true;
}

export type ParseResult<P extends readonly ParamDef[]> = { ok: true; value: Parsed<P> } | { ok: false; failure: ParamFailure };

/**
 * A parser of the parameters in their declared order, for the deployment's limits; the first failure is returned (the server answers it), so a request with several problems always gets the one
 * POLYV would report first.
 */
export function compileParams<P extends readonly ParamDef[]>(params: P, limits: Limits): (raw: RawParams) => ParseResult<P> {
  const steps = params.map((p) =>
    isField(p)
      ? { step: 'field' as const, field: p, spec: kinds[p.kind] as Kind<unknown> }
      : { step: 'check' as const, check: p },
  );
  return (raw) => {
    const out: Record<string, unknown> = {};
    for (const step of steps) {
      if (step.step === 'check') {
        const failure = step.check.run(out, limits);
        if (failure) return { ok: false, failure };
        continue;
      }
      const { field: p, spec } = step;
      const value = raw[p.field];
      let text: string;
      if (typeof value === 'string' || value === undefined) text = (value ?? '').trim();
      else if (spec.list) text = value.join(',');
      else return { ok: false, failure: fail(`${p.field} must be a single value, not a list`) };
      if (text === '' || isBlank(text)) {
        if (p.required) return { ok: false, failure: fail(`${p.field} is required`) };
        out[p.field] = undefined;
        continue;
      }
      const parsed = spec.parse(p.field, text, limits);
      if (isFailure(parsed)) return { ok: false, failure: parsed };
      out[p.field] = parsed;
    }
    return { ok: true, value: out as Parsed<P> };
  };
}
