/**
 * `live-ccv call <endpoint>`: a signed call through the SDK, to live-ccv or to POLYV's own host.
 * Credentials come from flags or LIVE_CCV_BASE_URL / LIVE_CCV_APP_ID / LIVE_CCV_APP_SECRET.
 */
import { Option, type Command } from 'commander';
import { createClient, PolyvApiError, type ConcurrenceItem, type PolyvClient } from '../client/index.js';
import { settings } from '../config/config.js';
import { localToEpochMs, toLocal } from '../domain/calendar.js';
import { emit, jsonFlag, oneLineErrors, table, type JsonFlag, type Row } from './output.js';

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
  const env = process.env;
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
  const zone = o.timeZone ?? process.env.LIVE_CCV_TIME_ZONE ?? settings.timeZone.def;
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

const itemColumns = [{ key: 'day' }, { key: 'minute' }, { key: 'viewers' }];

interface SeriesRange {
  startDate: string;
  endDate: string;
  pullType: string | undefined;
}

export function registerCall(program: Command): void {
  const call = oneLineErrors(program.command('call').description('make a signed API call (live-ccv or POLYV)'));

  /** The three per-minute series endpoints share their date range, pull type and table. */
  const series = (
    name: string,
    description: string,
    ids: (cmd: Command) => Command,
    fetch: (client: PolyvClient, o: CallOpts, range: SeriesRange) => Promise<ConcurrenceItem[]>,
  ) =>
    ids(connection(call.command(name).description(description)))
      .requiredOption('--start-date <yyyy-MM-dd>', 'first day')
      .requiredOption('--end-date <yyyy-MM-dd>', 'last day')
      .option('--pull-type <type>', 'only this pull type')
      .action(async (o: CallOpts) => {
        const range = { startDate: String(o.startDate), endDate: String(o.endDate), pullType: o.pullType as string | undefined };
        const data = await calling(() => fetch(clientFrom(o), o, range));
        emit(o.json, data, () => table(data as unknown as Row[], itemColumns));
      });

  connection(call.command('summary').description('peak CCV per pull type of users over days (the yunduo summary)'))
    .requiredOption('--users <ids>', 'comma-separated user ids')
    .requiredOption('--start <yyyy-MM-dd>', 'first day')
    .requiredOption('--end <yyyy-MM-dd>', 'last day (inclusive)')
    .action(async (o: CallOpts) => {
      const zone = zoneOf(o);
      const data = await calling(() =>
        clientFrom(o).summary({ users: String(o.users), start: String(o.start), end: String(o.end) }),
      );
      emit(o.json, data, () =>
        table(data as unknown as Row[], [
          { key: 'pullType' },
          { key: 'peakCCV' },
          { key: 'statAt' },
          { key: 'statAt', title: `local time (${zone})`, format: (v) => localLabel(Number(v), zone) },
        ]),
      );
    });

  series(
    'channel-concurrence',
    "a channel's CCV per minute over days",
    (cmd) => cmd.requiredOption('--channel-id <id>', 'the channel'),
    (client, o, range) => client.channelConcurrence({ channelId: String(o.channelId), ...range }),
  );

  connection(call.command('channel-max-history-concurrent').description("a channel's peak CCV between two instants"))
    .requiredOption('--channel-id <id>', 'the channel')
    .requiredOption('--start-time <time>', 'epoch ms or local yyyy-MM-dd[ HH:mm]')
    .requiredOption('--end-time <time>', 'epoch ms or local yyyy-MM-dd[ HH:mm]')
    .option('--pull-type <type>', 'only this pull type')
    .action(async (o: CallOpts) => {
      const zone = zoneOf(o);
      const q = {
        channelId: String(o.channelId),
        startTime: instant('--start-time', String(o.startTime), zone),
        endTime: instant('--end-time', String(o.endTime), zone),
        pullType: o.pullType as string | undefined,
      };
      const peak = await calling(() => clientFrom(o).channelMaxHistoryConcurrent(q));
      emit(o.json, peak, () => String(peak));
    });

  series(
    'channels-concurrence',
    'channels summed: per day over several days, per minute within one (concurrence-mc)',
    (cmd) => cmd.requiredOption('--channel-ids <ids>', 'comma-separated channel ids'),
    (client, o, range) => client.channelsConcurrence({ channelIds: String(o.channelIds), ...range }),
  );

  series(
    'user-concurrence',
    "a user's channels summed, per minute over days",
    (cmd) => cmd.option('--user-id <id>', 'the user (needed when the application has several)'),
    (client, o, range) => client.userConcurrence({ userId: o.userId as string | undefined, ...range }),
  );

  connection(call.command('user-realtime-concurrence').description("viewers watching a user's channels now"))
    .option('--user-id <id>', 'the user (needed when the application has several)')
    .option('--pull-type <type>', 'only this pull type')
    .action(async (o: CallOpts) => {
      const q = { userId: o.userId as string | undefined, pullType: o.pullType as string | undefined };
      const now = await calling(() => clientFrom(o).userRealtimeConcurrence(q));
      emit(o.json, now, () => String(now));
    });
}
