/**
 * `live-ccv import polyv`: pulls per-minute channel CCV history from a POLYV-compatible API (POLYV itself,
 * or another live-ccv) through the signed v3 channel concurrence endpoint, and sets it as per-minute CCV of
 * one pull type in this deployment (its store, or a running server's admin API).
 *
 * Promises: after a run that ends with exit 0, every minute of the chosen channels and days holds exactly
 * the source's count (minutes the source has no viewers in are 0); a run stopped at any point (an error,
 * Ctrl-C, a kill) resumes from its state file; running the same import again changes nothing. The source's
 * rate limit is respected (see ./paced-calls.ts). Parsing, planning and the diff are pure modules
 * (import-polyv-points.ts, import-polyv-state.ts); this file wires them to the network, the target and
 * the terminal.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { createClient, type ConcurrenceItem } from '../client/index.js';
import { daysBetween, localDay, parseYmd } from '../domain/calendar.js';
import { type AdminBackend, backendFlags, withAdmin } from './admin-backend.js';
import { idsFlag, intFlag, pacing, pacingFlags, type PacingOpts, zoneFlag } from './flags.js';
import { minuteChanges, sourceMinutes } from './import-polyv-points.js';
import { ImportState, planUnits, type PolyvJob, type Unit } from './import-polyv-state.js';
import { io } from './io.js';
import { emit, jsonFlag, type JsonFlag } from './output.js';
import { describe, Pacer, type PaceEvent } from './paced-calls.js';

/** POLYV's concurrence endpoint answers at most 2 months (62 days) per call. */
const MAX_CHUNK_DAYS = 62;
/** POLYV's own zone: its day and minute labels are Beijing time. */
const POLYV_TIME_ZONE = 'Asia/Shanghai';
const SAVE_EVERY_MS = 1_000;
const QUIET_MS = 10_000;

interface Opts extends JsonFlag, PacingOpts {
  source: string;
  appId?: string;
  appSecret?: string;
  channels?: string;
  user?: string;
  start: string;
  end: string;
  pullType: string;
  sourcePullType?: string;
  sourceTimeZone: string;
  chunkDays: string;
  state: string;
  restart?: boolean;
  progress: boolean;
  [k: string]: unknown;
}

export interface PolyvImportReport {
  units: number;
  /** units skipped because an earlier run did them */
  resumed: number;
  channels: number;
  start: string;
  end: string;
  pullType: string;
  /** minutes set to a count, minutes set back to 0, minutes already right */
  minutesSet: number;
  minutesZeroed: number;
  minutesUnchanged: number;
  requests: number;
  rateLimited: number;
  retries: number;
  state: string;
  seconds: number;
}

/** The channels of the job: the ones named, or every channel the user owns in this deployment. */
async function channelsOf(o: Opts, target: AdminBackend): Promise<string[]> {
  if (o.channels !== undefined) {
    const list = idsFlag('channels', o.channels, /^\d{1,20}$/, 'channel id');
    for (const id of list) {
      if (!(await target.channel(id))) {
        throw new Error(
          `channel ${id} is not in ${target.where}: add it to its user first (live-ccv channels add ${id} --user USER)`,
        );
      }
    }
    return list;
  }
  const owned = (await target.listChannels(String(o.user))).map((c) => c.channelId);
  if (owned.length === 0) throw new Error(`user ${o.user} owns no channels in ${target.where}: nothing to import`);
  return owned;
}

function jobOf(o: Opts, channels: string[], appId: string): PolyvJob {
  const sourceTimeZone = zoneFlag('source-time-zone', o.sourceTimeZone);
  const start = parseYmd(o.start);
  const end = parseYmd(o.end);
  if (!start) throw new Error(`invalid --start: expected a date yyyy-MM-dd, got "${o.start}"`);
  if (!end) throw new Error(`invalid --end: expected a date yyyy-MM-dd, got "${o.end}"`);
  if (daysBetween(start, end) < 0) throw new Error(`--start ${o.start} is after --end ${o.end}`);
  const today = localDay(Date.now(), sourceTimeZone);
  if (o.end >= today) {
    throw new Error(
      `--end must be a day that is over at the source (before ${today} in ${sourceTimeZone}): its numbers are not final yet`,
    );
  }
  return {
    source: o.source.replace(/\/+$/, ''),
    appId,
    channels,
    start: o.start,
    end: o.end,
    sourcePullType: o.sourcePullType,
    pullType: o.pullType,
    sourceTimeZone,
    chunkDays: intFlag('chunk-days', o.chunkDays, 1, MAX_CHUNK_DAYS),
  };
}

/** Progress on stderr: a bar on a terminal; in logs, a line every 10 s and one per rate-limit wait or retry. */
function progressOf(o: Opts, total: number, alreadyDone: number) {
  const started = Date.now();
  const tty = io().isTTY && o.progress;
  let status = '';
  const bar = tty
    ? new cliProgress.SingleBar({
        stream: process.stderr,
        format: 'import polyv |{bar}| {value}/{total} channel-chunks | {minutes} minutes set | {eta_formatted} left {status}',
        hideCursor: true,
      })
    : undefined;
  bar?.start(total, alreadyDone, { minutes: 0, status });
  let lastLine = Date.now();
  const line = (s: string) => {
    if (o.progress && !tty) io().err(`import polyv: ${s}\n`);
  };
  return {
    event(e: PaceEvent) {
      const s =
        e.kind === 'rate-limited'
          ? `rate limited by the source: waiting ${Math.ceil(e.waitMs / 1000)} s (${e.what})`
          : `retrying ${e.what} in ${Math.ceil(e.waitMs / 1000)} s after: ${e.error} (attempt ${e.attempt} of ${e.of})`;
      status = e.kind === 'rate-limited' ? `(rate limited, waiting ${Math.ceil(e.waitMs / 1000)} s)` : '(retrying)';
      line(s);
    },
    unit(done: number, minutes: number) {
      bar?.update(done, { minutes, status });
      status = '';
      if (!tty && Date.now() - lastLine >= QUIET_MS) {
        lastLine = Date.now();
        line(`${done} of ${total} channel-chunks done, ${minutes} minutes set (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

export async function importPolyv(o: Opts, target: AdminBackend): Promise<PolyvImportReport> {
  const started = Date.now();
  const appId = o.appId ?? io().env.POLYV_APP_ID;
  const appSecret = o.appSecret ?? io().env.POLYV_APP_SECRET;
  if (!appId) throw new Error('no source application id: pass --app-id or set POLYV_APP_ID');
  if (!appSecret) throw new Error('no source application secret: pass --app-secret or set POLYV_APP_SECRET');
  if ((o.channels === undefined) === (o.user === undefined))
    throw new Error('give the channels to import: --channels IDS or --user USER');
  const { rate, concurrency, retries, timeoutMs } = pacing(o);
  const client = createClient({ baseUrl: o.source, appId, appSecret, retries: 0, timeoutMs });

  const job = jobOf(o, await channelsOf(o, target), appId);
  const state = ImportState.open(o.state, job, o.restart === true);
  const units = planUnits(job);
  const todo = units.filter((u) => !state.isDone(u));
  const report: PolyvImportReport = {
    units: units.length,
    resumed: units.length - todo.length,
    channels: job.channels.length,
    start: job.start,
    end: job.end,
    pullType: job.pullType,
    minutesSet: 0,
    minutesZeroed: 0,
    minutesUnchanged: 0,
    requests: 0,
    rateLimited: 0,
    retries: 0,
    state: o.state,
    seconds: 0,
  };
  state.save();
  const progress = progressOf(o, units.length, report.resumed);
  const pacer = new Pacer({ limit: rate, windowMs: 10_000, retries, onEvent: (e) => progress.event(e) });

  const one = async (unit: Unit) => {
    const what = `channel ${unit.channelId} ${unit.startDate}..${unit.endDate}`;
    const points = await pacer.call(what, () =>
      client.channelConcurrence({
        channelId: unit.channelId,
        startDate: unit.startDate,
        endDate: unit.endDate,
        pullType: job.sourcePullType,
      }),
    );
    if (!Array.isArray(points)) throw new Error(`${what}: the source's data is not a list of minutes`);
    const src = sourceMinutes(
      points as ConcurrenceItem[],
      parseYmd(unit.startDate)!,
      parseYmd(unit.endDate)!,
      job.sourceTimeZone,
    );
    const stored = await target.storedMinutes(unit.channelId, job.pullType, src.from, src.to);
    const changes = minuteChanges(src.values, stored);
    await target.setMinutes(changes.map((c) => ({ channelId: unit.channelId, pullType: job.pullType, ...c })));
    state.markDone(unit);
    for (const c of changes) {
      if (c.ccv === 0) report.minutesZeroed++;
      else report.minutesSet++;
    }
    report.minutesUnchanged += src.values.size - changes.filter((c) => c.ccv > 0).length;
  };

  // A fixed pool of workers takes units in order; the first failure stops new work, lets the units in
  // flight finish (so they are recorded), and is reported after the state is saved.
  let next = 0;
  let failure: { unit: Unit; error: unknown } | undefined;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSigint);
  const saver = setInterval(() => state.save(), SAVE_EVERY_MS);
  saver.unref();
  const worker = async () => {
    while (!failure && !interrupted && next < todo.length) {
      const unit = todo[next++]!;
      try {
        await one(unit);
        progress.unit(state.doneCount, report.minutesSet);
      } catch (error) {
        if (!failure) {
          failure = { unit, error };
          pacer.stop(); // the units in flight stop retrying; what they finished is recorded
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  } finally {
    clearInterval(saver);
    process.removeListener('SIGINT', onSigint);
    state.save();
    progress.stop();
    report.requests = pacer.counts.calls;
    report.rateLimited = pacer.counts.rateLimited;
    report.retries = pacer.counts.retries;
    report.seconds = (Date.now() - started) / 1000;
  }
  const where = `${state.doneCount} of ${units.length} channel-chunks are done and recorded in ${o.state}: run the same command to resume`;
  if (failure) {
    throw new Error(
      `channel ${failure.unit.channelId} ${failure.unit.startDate}..${failure.unit.endDate}: ${describe(failure.error)}; ${where}`,
    );
  }
  if (interrupted) throw new Error(`interrupted; ${where}`);
  return report;
}

export function summaryLine(r: PolyvImportReport): string {
  const done =
    r.resumed > 0 ? `${r.units - r.resumed} channel-chunks (${r.resumed} done by an earlier run)` : `${r.units} channel-chunks`;
  return [
    `imported ${done}: ${r.channels} channel(s), ${r.start}..${r.end}, as pull type ${r.pullType}`,
    `minutes: ${r.minutesSet} set, ${r.minutesZeroed} set back to 0, ${r.minutesUnchanged} already right`,
    `requests: ${r.requests} (${r.rateLimited} rate-limited, ${r.retries} retried) in ${r.seconds.toFixed(1)} s; state: ${r.state}`,
  ].join('\n');
}

export function registerImportPolyv(group: Command): void {
  const cmd = group
    .command('polyv')
    .description(
      "pull per-minute channel CCV history from a POLYV-compatible API (v3 channel concurrence) into this deployment's store or admin API",
    )
    .requiredOption('--source <url>', 'base URL of the POLYV-compatible API, e.g. https://api.polyv.net')
    .option('--app-id <appId>', 'appId at the source (env POLYV_APP_ID)')
    .option('--app-secret <secret>', 'appSecret at the source (env POLYV_APP_SECRET)')
    .option('--channels <ids>', 'comma-separated channel ids (each must exist here)')
    .option('--user <userId>', 'every channel this user owns here')
    .requiredOption('--start <yyyy-MM-dd>', 'first day, in the source time zone')
    .requiredOption('--end <yyyy-MM-dd>', 'last day (inclusive), which must be over at the source')
    .option('--pull-type <type>', 'the pull type the counts land as', 'cdn')
    .option('--source-pull-type <type>', "ask the source for one pull type (default: the source's total)")
    .option('--source-time-zone <zone>', "the source's time zone, which its day and minute labels are in", POLYV_TIME_ZONE)
    .option('--chunk-days <n>', `days per request (at most ${MAX_CHUNK_DAYS})`, '7')
    .option('--state <file>', 'where progress is kept, to resume a stopped run', 'polyv-import.state.json')
    .option('--restart', 'discard the state file and import everything again')
    .option('--no-progress', 'no progress on stderr');
  jsonFlag(backendFlags(pacingFlags(cmd, 'requests in flight'))).action(async (o: Opts) => {
    const report = await withAdmin(o, (target) => importPolyv(o, target));
    emit(o.json, report, () => summaryLine(report));
  });
}
