/**
 * `live-ccv call <endpoint>`: a signed call through the SDK, to live-ccv or to POLYV's own host.
 * Credentials come from flags or LIVE_CCV_BASE_URL / LIVE_CCV_APP_ID / LIVE_CCV_APP_SECRET.
 */
import { Option, type Command } from 'commander';
import { fieldsOf, signedEndpoints, type KindName, type SignedEndpoint } from '@live-ccv/client/contract';
import { createClient, PolyvApiError, type PolyvClient } from '../client/index.js';
import { settings } from '../config/config.js';
import { localToEpochMs, toLocal } from '../domain/calendar.js';
import { io } from './io.js';
import { emit, jsonFlag, oneLineErrors, table, type Column, type JsonFlag, type Row } from './output.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

interface CallOpts extends JsonFlag {
  baseUrl?: string;
  appId?: string;
  appSecret?: string;
  post?: boolean;
  signatureMethod?: 'MD5' | 'SHA256';
  timeoutMs?: string;
  retries?: string;
  timeZone?: string;
  [k: string]: unknown;
}

function connection(cmd: Command): Command {
  return jsonFlag(cmd)
    .option('--base-url <url>', `API base URL (env LIVE_CCV_BASE_URL, default ${DEFAULT_BASE_URL})`)
    .option('--app-id <appId>', 'application id (env LIVE_CCV_APP_ID)')
    .option('--app-secret <secret>', 'application secret (env LIVE_CCV_APP_SECRET)')
    .option('--post', 'send a signed form POST instead of GET')
    .addOption(new Option('--signature-method <method>', 'signature algorithm').choices(['MD5', 'SHA256']))
    .option('--timeout-ms <ms>', 'per-attempt timeout', '10000')
    .option('--retries <n>', 'retries on 429, 5xx and network errors', '3')
    .option(
      '--time-zone <zone>',
      `zone of the deployment, for showing and reading local times (env LIVE_CCV_TIME_ZONE, default ${settings.timeZone.def})`,
    );
}

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function clientFrom(o: CallOpts): PolyvClient {
  const env = io().env;
  const appId = o.appId ?? env.LIVE_CCV_APP_ID;
  const appSecret = o.appSecret ?? env.LIVE_CCV_APP_SECRET;
  if (!appId) throw new Error('no application id: pass --app-id or set LIVE_CCV_APP_ID');
  if (!appSecret) throw new Error('no application secret: pass --app-secret or set LIVE_CCV_APP_SECRET');
  return createClient({
    baseUrl: o.baseUrl ?? env.LIVE_CCV_BASE_URL ?? DEFAULT_BASE_URL,
    appId,
    appSecret,
    method: o.post ? 'POST' : 'GET',
    signatureMethod: o.signatureMethod,
    timeoutMs: count('--timeout-ms', o.timeoutMs),
    retries: count('--retries', o.retries),
  });
}

function zoneOf(o: CallOpts): string {
  // The deployment's zone by default: its days are the ones --start/--end and the answers are in.
  const zone = o.timeZone ?? io().env.LIVE_CCV_TIME_ZONE ?? settings.timeZone.def;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new Error(`--time-zone must be an IANA time zone such as Asia/Shanghai, got ${JSON.stringify(zone)}`);
  }
  return zone;
}

const pad = (n: number) => String(n).padStart(2, '0');
export function localLabel(ms: number, zone: string): string {
  const l = toLocal(ms, zone);
  return `${l.y}-${pad(l.m)}-${pad(l.d)} ${pad(l.hh)}:${pad(l.mm)}`;
}

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
/** Epoch ms given as such, or a local `yyyy-MM-dd[ HH:mm[:ss]]` in the display zone. */
export function instant(name: string, text: string, zone: string): number {
  if (/^\d{13}$/.test(text)) return Number(text);
  const m = LOCAL_TIME.exec(text);
  if (!m) throw new Error(`${name} must be epoch milliseconds or yyyy-MM-dd[ HH:mm[:ss]], got ${JSON.stringify(text)}`);
  const [y, mo, d, hh, mm, ss] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 59)
    throw new Error(`${name} is not a valid time: ${text}`);
  return localToEpochMs({ y, m: mo, d, hh, mm, ss }, zone);
}

/** Runs a call, turning the SDK's error into one line that keeps the code and the server's request id. */
async function calling<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof PolyvApiError)) throw e;
    const detail = [e.code ? `code ${e.code}` : '', e.requestId ? `request ${e.requestId}` : ''].filter(Boolean).join(', ');
    throw new Error(detail ? `${e.message} (${detail})` : e.message);
  }
}

/** `channelMaxHistoryConcurrent` -> `channel-max-history-concurrent`, `startDate` -> `start-date` */
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** commander's key of an option: `--start-date` -> `startDate` */
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

const PLACEHOLDER: Record<KindName, string> = {
  userIds: '<ids>',
  channelIds: '<ids>',
  day: '<yyyy-MM-dd>',
  epochMs: '<time>',
  channelId: '<id>',
  userId: '<id>',
  pullType: '<type>',
};

/** The human form of an answer: a table of the endpoint's CSV columns (instants also in local time), or the value. */
function human(e: SignedEndpoint, data: unknown, zone: string): string {
  if ('scalar' in e.csv) return String(data);
  const columns: Column[] = (e.display ?? e.csv.columns).map((key) => ({ key }));
  for (const key of e.instants ?? []) {
    columns.push({ key, title: `local time (${zone})`, format: (v) => localLabel(Number(v), zone) });
  }
  const rows = e.tableRows?.(data) ?? (e.csv.rows ? e.csv.rows(data) : data);
  return table(rows as Row[], columns);
}

/**
 * One command per signed endpoint of the contract, its flags from the endpoint's parameters: a new endpoint gets
 * its command without code here. Instants (epoch-ms parameters) also accept a local time in the display zone.
 */
export function registerCall(program: Command): void {
  const call = oneLineErrors(program.command('call').description('make a signed API call (live-ccv or POLYV)'));
  for (const e of signedEndpoints as readonly SignedEndpoint[]) {
    const cmd = connection(call.command(kebab(e.name)).description(e.summary));
    const fields = fieldsOf(e.params);
    for (const f of fields) {
      const flag = `--${kebab(f.field)} ${PLACEHOLDER[f.kind]}`;
      const doc = f.kind === 'epochMs' ? `${f.doc}; or a local yyyy-MM-dd[ HH:mm[:ss]]` : f.doc;
      if (f.required) cmd.requiredOption(flag, doc);
      else cmd.option(flag, doc);
    }
    cmd.action(async (o: CallOpts) => {
      const zone = zoneOf(o);
      const input: Record<string, unknown> = {};
      for (const f of fields) {
        const value = o[camel(kebab(f.field))] as string | undefined;
        if (value === undefined) continue;
        input[f.field] = f.kind === 'epochMs' ? instant(`--${kebab(f.field)}`, value, zone) : value;
      }
      const client = clientFrom(o) as unknown as Record<string, (q: unknown) => Promise<unknown>>;
      const data = await calling(() => client[e.name]!(input));
      emit(o.json, data, () => human(e, data, zone));
    });
  }
}
