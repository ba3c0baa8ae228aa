/** Flag values checked once for every command that takes them, each failure naming the flag. */
import type { Command } from 'commander';
import { splitList } from '@live-ccv/client/contract';
import { settings } from '../config/config.js';

export function intFlag(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : '';
    throw new Error(`invalid --${flag}: expected an integer from ${min}${range}, got "${text}"`);
  }
  return Number(text);
}

/** A comma list of ids (spaces around commas tolerated, duplicates dropped), each matching `pattern`. */
export function idsFlag(flag: string, text: string, pattern: RegExp, what = 'id'): string[] {
  const ids = splitList(text);
  if (ids.length === 0) throw new Error(`invalid --${flag}: expected a comma-separated list`);
  const bad = ids.find((i) => !pattern.test(i));
  if (bad !== undefined) throw new Error(`invalid --${flag}: malformed ${what} "${bad}"`);
  return ids;
}

/** An IANA time zone, checked like LIVE_CCV_TIME_ZONE. */
export function zoneFlag(flag: string, value: string): string {
  if (!settings.timeZone.schema.safeParse(value).success) {
    throw new Error(`invalid --${flag}: expected an IANA time zone such as Asia/Shanghai, got "${value}"`);
  }
  return value;
}

/** The pacing options of the commands that call a POLYV-compatible host many times (./paced-calls.ts). */
export interface PacingOpts {
  rate: string;
  concurrency: string;
  retries: string;
  timeoutMs: string;
}

export function pacingFlags(cmd: Command, inFlight: string): Command {
  return cmd
    .option('--rate <n>', 'requests per 10 s to a host, at most (POLYV allows 1500)', '1400')
    .option('--concurrency <n>', inFlight, '4')
    .option('--retries <n>', 'retries of a request after a 5xx, timeout or network error', '8')
    .option('--timeout-ms <ms>', 'per request', '30000');
}

export function pacing(o: PacingOpts): { rate: number; concurrency: number; retries: number; timeoutMs: number } {
  return {
    rate: intFlag('rate', o.rate, 1),
    concurrency: intFlag('concurrency', o.concurrency, 1, 64),
    retries: intFlag('retries', o.retries, 0, 100),
    timeoutMs: intFlag('timeout-ms', o.timeoutMs, 100),
  };
}
