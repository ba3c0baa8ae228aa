/**
 * `live-ccv compare`: the same signed calls on two deployments (POLYV and live-ccv, or two live-ccv), for a
 * set of channels or users over days, and every minute, peak and statAt whose answers differ. This is how a
 * team runs both systems side by side before switching. Exit 0 when everything agrees, 1 on any
 * difference, 2 when the comparison could not be made (like diff(1)).
 *
 * Channels: the per-minute series (channel concurrence, in runs of days) and each day's peak
 * (get-max-history-concurrent over the local day). Users: each user's per-minute series (user concurrence)
 * and each day's summary (peakCCV and statAt per pull type) of the user alone and, with several users,
 * of all of them together: the simultaneous peak the summary endpoint exists for.
 */
import cliProgress from 'cli-progress';
import { type Command, CommanderError } from 'commander';
import { type ConcurrenceItem, createClient, type PolyvClient } from '../client/index.js';
import { settings } from '../config/config.js';
import { addDays, dayChunks, daysBetween, formatYmd, localToEpochMs, parseYmd, type Ymd } from '../domain/calendar.js';
import {
  add,
  type Compared,
  differenceCount,
  diffPeak,
  diffSeries,
  diffSummary,
  formatDifference,
  noTotals,
  summaryLine,
  type Totals,
} from './compare-diff.js';
import { idsFlag, intFlag, pacing, pacingFlags, type PacingOpts, zoneFlag } from './flags.js';
import { io } from './io.js';
import { describe, Pacer, type PaceEvent } from './paced-calls.js';

/** The concurrence endpoints answer at most 62 days per call. */
const MAX_CHUNK_DAYS = 62;
const QUIET_MS = 10_000;

interface Opts extends PacingOpts {
  aUrl?: string;
  aAppId?: string;
  aAppSecret?: string;
  bUrl?: string;
  bAppId?: string;
  bAppSecret?: string;
  channels?: string;
  users?: string;
  start: string;
  end: string;
  pullType?: string;
  timeZone?: string;
  chunkDays: string;
  json?: boolean;
  progress: boolean;
}

interface Side {
  name: 'A' | 'B';
  url: string;
  client: PolyvClient;
  pacer: Pacer;
}

/** One comparison: both sides' answers to the same call, and what differs. */
interface Unit {
  what: string;
  run(a: Side, b: Side): Promise<Compared>;
}

/** Side A is usually POLYV (env POLYV_*), side B live-ccv (the `call` command's LIVE_CCV_* variables). */
function side(name: 'A' | 'B', o: Opts, retries: number, rate: number, timeoutMs: number, onEvent: (e: PaceEvent) => void): Side {
  const env = io().env;
  const [url, appId, appSecret] =
    name === 'A'
      ? [o.aUrl ?? env.POLYV_BASE_URL, o.aAppId ?? env.POLYV_APP_ID, o.aAppSecret ?? env.POLYV_APP_SECRET]
      : [o.bUrl ?? env.LIVE_CCV_BASE_URL, o.bAppId ?? env.LIVE_CCV_APP_ID, o.bAppSecret ?? env.LIVE_CCV_APP_SECRET];
  const flag = name.toLowerCase();
  const envs = name === 'A' ? 'POLYV' : 'LIVE_CCV';
  if (!url) throw new Error(`no base URL for side ${name}: pass --${flag}-url or set ${envs}_BASE_URL`);
  if (!appId) throw new Error(`no application id for side ${name}: pass --${flag}-app-id or set ${envs}_APP_ID`);
  if (!appSecret) throw new Error(`no application secret for side ${name}: pass --${flag}-app-secret or set ${envs}_APP_SECRET`);
  let client: PolyvClient;
  try {
    client = createClient({ baseUrl: url, appId, appSecret, retries: 0, timeoutMs });
  } catch (e) {
    throw new Error(`side ${name}: ${(e as Error).message}`);
  }
  return { name, url, client, pacer: new Pacer({ limit: rate, windowMs: 10_000, retries, onEvent }) };
}

/** Both sides' answers to one call, side by side; a failure names the side and the call. */
async function both<T>(a: Side, b: Side, what: string, call: (c: PolyvClient) => Promise<T>): Promise<[T, T]> {
  const one = (s: Side) =>
    s.pacer
      .call(`${what} on ${s.name}`, () => call(s.client))
      .catch((e: unknown) => {
        throw new Error(`${what} on side ${s.name} (${s.url}): ${describe(e)}`);
      });
  return Promise.all([one(a), one(b)]);
}

function plan(o: Opts, zone: string, chunkDays: number): { units: Unit[]; what: string } {
  const start = parseYmd(o.start);
  const end = parseYmd(o.end);
  if (!start) throw new Error(`invalid --start: expected a date yyyy-MM-dd, got "${o.start}"`);
  if (!end) throw new Error(`invalid --end: expected a date yyyy-MM-dd, got "${o.end}"`);
  if (daysBetween(start, end) < 0) throw new Error(`--start ${o.start} is after --end ${o.end}`);
  if ((o.channels === undefined) === (o.users === undefined))
    throw new Error('give what to compare: --channels IDS or --users IDS');
  const chunks = dayChunks(start, end, chunkDays).map((c) => ({ startDate: formatYmd(c.start), endDate: formatYmd(c.end) }));
  const days: Ymd[] = [];
  for (let d = start; daysBetween(d, end) >= 0; d = addDays(d, 1)) days.push(d);
  const pullType = o.pullType;
  const units: Unit[] = [];
  /** One comparison: the same call on both sides, and the diff of the two answers. */
  const unit = <T>(what: string, call: (c: PolyvClient) => Promise<T>, diff: (a: T, b: T) => Compared) =>
    units.push({ what, run: async (a, b) => diff(...(await both(a, b, what, call))) });
  /** Per-minute series in runs of days. */
  const series = (
    subject: string,
    fetch: (c: PolyvClient, range: { startDate: string; endDate: string }) => Promise<ConcurrenceItem[]>,
  ) => {
    for (const c of chunks) {
      unit(
        `${subject} concurrence ${c.startDate}..${c.endDate}`,
        (cl) => fetch(cl, c),
        (ra, rb) => diffSeries(subject, ra, rb),
      );
    }
  };

  if (o.channels !== undefined) {
    const channels = idsFlag('channels', o.channels, /^\d{1,20}$/, 'channel id');
    for (const channelId of channels) {
      const subject = `channel ${channelId}`;
      series(subject, (cl, range) => cl.channelConcurrence({ channelId, ...range, pullType }));
      for (const d of days) {
        const day = formatYmd(d);
        const window = { startTime: localToEpochMs(d, zone), endTime: localToEpochMs(addDays(d, 1), zone) };
        unit(
          `${subject} peak ${day}`,
          (cl) => cl.channelMaxHistoryConcurrent({ channelId, ...window, pullType }),
          (ra, rb) => diffPeak(subject, day, pullType ?? 'all', ra, rb),
        );
      }
    }
    return { units, what: `channels ${channels.join(',')}, ${o.start}..${o.end}` };
  }

  const users = idsFlag('users', String(o.users), /^[A-Za-z0-9_-]{1,64}$/, 'user id');
  for (const userId of users) series(`user ${userId}`, (cl, range) => cl.userConcurrence({ userId, ...range, pullType }));
  const groups = users.length > 1 ? [...users.map((u) => [u]), users] : [users];
  for (const d of days) {
    const day = formatYmd(d);
    for (const group of groups) {
      const subject = group.length === 1 ? `user ${group[0]}` : `users ${group.join(',')}`;
      unit(
        `${subject} summary ${day}`,
        (cl) => cl.summary({ users: group, start: day, end: day }),
        (ra, rb) => diffSummary(subject, day, ra, rb, pullType),
      );
    }
  }
  return { units, what: `users ${users.join(',')}, ${o.start}..${o.end}` };
}

/** Runs the units with a pool of workers and hands each result over in unit order, as soon as it can. */
async function runOrdered(
  units: Unit[],
  concurrency: number,
  a: Side,
  b: Side,
  onResult: (c: Compared, index: number) => void,
): Promise<void> {
  const results = new Map<number, Compared>();
  let next = 0;
  let emitted = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < units.length) {
      const i = next++;
      try {
        results.set(i, await units[i]!.run(a, b));
      } catch (e) {
        if (failure === undefined) {
          failure = e;
          // the comparison cannot finish: the other calls stop waiting and retrying
          a.pacer.stop();
          b.pacer.stop();
        }
        return;
      }
      while (results.has(emitted)) {
        onResult(results.get(emitted)!, emitted);
        results.delete(emitted++);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, units.length) }, worker));
  if (failure !== undefined) throw failure;
}

export async function compare(o: Opts): Promise<{ totals: Totals; what: string }> {
  const zone = zoneFlag('time-zone', o.timeZone ?? io().env.LIVE_CCV_TIME_ZONE ?? settings.timeZone.def);
  const chunkDays = intFlag('chunk-days', o.chunkDays, 1, MAX_CHUNK_DAYS);
  const { rate, concurrency, retries, timeoutMs } = pacing(o);
  const tty = o.progress && io().isTTY;
  const line = (s: string) => {
    if (o.progress && !tty) io().err(`compare: ${s}\n`);
  };
  const onEvent = (e: PaceEvent) =>
    line(
      e.kind === 'rate-limited'
        ? `rate limited: waiting ${Math.ceil(e.waitMs / 1000)} s (${e.what})`
        : `retrying ${e.what} in ${Math.ceil(e.waitMs / 1000)} s after: ${e.error} (attempt ${e.attempt} of ${e.of})`,
    );
  const { units, what } = plan(o, zone, chunkDays);
  const a = side('A', o, retries, rate, timeoutMs, onEvent);
  const b = side('B', o, retries, rate, timeoutMs, onEvent);

  const bar = tty
    ? new cliProgress.SingleBar({
        stream: process.stderr,
        format: 'compare |{bar}| {value}/{total} calls compared | {differences} differences | {eta_formatted} left',
        hideCursor: true,
      })
    : undefined;
  bar?.start(units.length, 0, { differences: 0 });
  const totals = noTotals();
  let lastLine = Date.now();
  try {
    await runOrdered(units, concurrency, a, b, (c, i) => {
      // differences are printed as they are found (in call order); --json prints them all at the end
      if (!o.json) for (const d of c.differences) io().out(`${formatDifference(d, zone)}\n`);
      add(totals, c, o.json === true);
      bar?.update(i + 1, { differences: differenceCount(totals) });
      if (Date.now() - lastLine >= QUIET_MS) {
        lastLine = Date.now();
        line(`${i + 1} of ${units.length} calls compared, ${differenceCount(totals)} differences so far`);
      }
    });
  } finally {
    bar?.stop();
  }
  return { totals, what };
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description(
      'call the same endpoints on two deployments (A, usually POLYV; B, live-ccv) and list every minute, peak and statAt that differs; exit 0 when all agree, 1 on a difference, 2 on trouble',
    )
    .option('--a-url <url>', 'side A base URL (env POLYV_BASE_URL)')
    .option('--a-app-id <appId>', 'side A application id (env POLYV_APP_ID)')
    .option('--a-app-secret <secret>', 'side A application secret (env POLYV_APP_SECRET)')
    .option('--b-url <url>', 'side B base URL (env LIVE_CCV_BASE_URL)')
    .option('--b-app-id <appId>', 'side B application id (env LIVE_CCV_APP_ID)')
    .option('--b-app-secret <secret>', 'side B application secret (env LIVE_CCV_APP_SECRET)')
    .option('--channels <ids>', 'compare these channels: minutes and daily peaks')
    .option('--users <ids>', 'compare these users: minutes, and daily summaries alone and together')
    .requiredOption('--start <yyyy-MM-dd>', 'first day')
    .requiredOption('--end <yyyy-MM-dd>', 'last day (inclusive)')
    .option('--pull-type <type>', 'only this pull type (default: all together for minutes, each for summaries)')
    .option(
      '--time-zone <zone>',
      `the deployments' time zone, whose days are walked (env LIVE_CCV_TIME_ZONE, default ${settings.timeZone.def})`,
    )
    .option('--chunk-days <n>', `days per concurrence call (at most ${MAX_CHUNK_DAYS})`, '31')
    .option('--json', 'print {"summary", "differences"} as JSON at the end')
    .option('--no-progress', 'no progress on stderr');
  pacingFlags(cmd, 'comparisons in flight')
    .configureOutput({ outputError: (s, write) => write(`live-ccv: ${s.replace(/^error: /, '')}`) })
    // usage errors are trouble too: exit 2, like every failure of this command
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(2, err.code, err.message);
    })
    .action(async (o: Opts) => {
      let result: Awaited<ReturnType<typeof compare>>;
      try {
        result = await compare(o);
      } catch (e) {
        io().err(`live-ccv: ${e instanceof Error ? e.message : String(e)}\n`);
        io().exitCode = 2;
        return;
      }
      const { totals, what } = result;
      if (o.json) {
        const { differences, ...counts } = totals;
        io().out(`${JSON.stringify({ summary: { ...counts, what }, differences })}\n`);
      } else io().out(`${summaryLine(totals, what)}\n`);
      if (differenceCount(totals) > 0) io().exitCode = 1;
    });
}
