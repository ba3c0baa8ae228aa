/**
 * `live-ccv simulate` (generate viewer traffic, send it, write the ground truth) and `live-ccv verify`
 * (compare a server's stored numbers with that truth). Generation, truth and comparison are pure modules
 * under src/sim; this file only reads options, wires I/O and prints.
 */
import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { clockOf, settings, type SettingName } from '../config/config.js';
import { localDay, localStamp } from '../domain/calendar.js';
import { zoneFlag } from './flags.js';
import { io } from './io.js';
import { trimBase } from '../sim/http.js';
import { sendTraffic, type SendReport } from '../sim/sender.js';
import { generateTraffic } from '../sim/traffic.js';
import { formatFor, formatTruth, parseTruth, truthPeaks, type TruthRow } from '../sim/truth.js';
import { verifyOnce, verifyWaiting } from '../sim/verify.js';
import { batchWindow, beaconWindow } from '../sim/window.js';
import { waitProgress } from './wait-progress.js';

/** A setting's value from the environment (or its default), validated like the server does. */
function setting<K extends SettingName>(name: K): z.output<(typeof settings)[K]['schema']> {
  const s = settings[name];
  const raw = io().env[s.env] ?? s.def;
  const parsed = (s.schema as z.ZodType).safeParse(raw);
  if (!parsed.success)
    throw new Error(`invalid setting ${s.env}: ${parsed.error.issues[0]?.message ?? 'invalid'} (got "${raw}")`);
  return parsed.data as z.output<(typeof settings)[K]['schema']>;
}

/** --time-zone, or the deployment's LIVE_CCV_TIME_ZONE, checked like the setting. */
const zoneOption = (flag: string | undefined): string => (flag === undefined ? setting('timeZone') : zoneFlag('time-zone', flag));

function num(flag: string, value: unknown, { int = false, min = -Infinity, max = Infinity } = {}): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    const range = [min > -Infinity ? `>= ${min}` : '', max < Infinity ? `<= ${max}` : ''].filter(Boolean).join(' and ');
    throw new Error(
      `invalid --${flag}: expected ${int ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got "${String(value)}"`,
    );
  }
  return n;
}

function list(flag: string, value: unknown): string[] {
  const items = [
    ...new Set(
      String(value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (items.length === 0) throw new Error(`invalid --${flag}: expected a comma-separated list`);
  return items;
}

interface SimulateOpts {
  baseUrl: string;
  endpoint: 'batch' | 'beacon';
  ingestToken?: string;
  channels: string;
  viewers: string;
  minutes?: string;
  interval: string;
  watch: string;
  pullTypes?: string;
  switch: string;
  duplicates: string;
  late: string;
  spike: string;
  rate: string;
  batchSize: string;
  concurrency: string;
  seed: string;
  truth: string;
  allowedLatenessMs?: string;
  timeZone?: string;
  boundaryGuardMs: string;
  progress: boolean;
  json?: boolean;
}

async function simulate(o: SimulateOpts): Promise<void> {
  const baseUrl = trimBase(o.baseUrl);
  const channels = list('channels', o.channels);
  const bad = channels.find((c) => !/^\d{1,20}$/.test(c));
  if (bad !== undefined) throw new Error(`invalid --channels: channel ids are digits, got "${bad}"`);
  const lateness =
    o.allowedLatenessMs !== undefined
      ? num('allowed-lateness-ms', o.allowedLatenessMs, { int: true, min: 0 })
      : setting('allowedLatenessMs');
  const minutes =
    o.minutes !== undefined ? num('minutes', o.minutes, { min: 0.05, max: 1440, int: o.endpoint === 'batch' }) : undefined;
  const zone = zoneOption(o.timeZone);
  const clock = clockOf({ clockOffsetMs: setting('clockOffsetMs') });
  const now = clock();
  const window = o.endpoint === 'batch' ? batchWindow(now, lateness, minutes) : beaconWindow(now, lateness, minutes ?? 1);
  const traffic = generateTraffic({
    seed: num('seed', o.seed, { int: true, min: 0, max: 2 ** 32 - 1 }),
    channels,
    viewers: num('viewers', o.viewers, { min: 0, max: 1e6 }),
    start: window.start,
    end: window.end,
    intervalMs: num('interval', o.interval, { min: 1 }) * 1000,
    watchMeanMs: num('watch', o.watch, { min: 1 / 60 }) * 60_000,
    pullTypes: o.pullTypes !== undefined ? list('pull-types', o.pullTypes) : setting('pullTypes'),
    switchProbability: num('switch', o.switch, { min: 0, max: 1 }),
    duplicateProbability: num('duplicates', o.duplicates, { min: 0, max: 1 }),
    // a beacon is stamped with server time, so it can never be late
    lateFraction: o.endpoint === 'batch' ? num('late', o.late, { min: 0, max: 1 }) : 0,
    lateMinute: window.lateMinute,
    spikeFactor: num('spike', o.spike, { min: 1 }),
    timeZone: zone,
  });
  const beats = traffic.beats;
  const log = (s: string) => io().err(`${s}\n`);
  log(
    `simulate: ${beats.length} heartbeats for ${channels.length} channel(s), simulated ${localStamp(window.start, zone, true)} .. ${localStamp(window.end, zone, true)}` +
      ` (spike at ${localStamp(traffic.spike.start, zone, true).slice(11, 19)}), via ${o.endpoint} at <= ${o.rate}/s`,
  );

  const bar = o.progress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'simulate [{bar}] {percentage}% | {value}/{total} heartbeats | {eta}s left',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(beats.length, 0);
  let report: SendReport;
  const sendStart = Date.now();
  try {
    report = await sendTraffic(beats, {
      baseUrl,
      endpoint: o.endpoint,
      ingestToken: o.ingestToken ?? setting('ingestToken'),
      rate: num('rate', o.rate, { min: 0.001 }),
      batchSize: num('batch-size', o.batchSize, { int: true, min: 1 }),
      concurrency: num('concurrency', o.concurrency, { int: true, min: 1, max: 256 }),
      boundaryGuardMs: num('boundary-guard-ms', o.boundaryGuardMs, { int: true, min: 0, max: 20_000 }),
      onProgress: (done) => bar?.update(done),
      now: clock,
    });
  } finally {
    bar?.stop();
  }

  const seconds = (Date.now() - sendStart) / 1000;
  const rows = report.truth.rows();
  fs.writeFileSync(o.truth, formatTruth(rows, formatFor(o.truth)));
  const peaks = truthPeaks(rows);
  // The local days the truth covers: what a summary call for these minutes must ask for in this zone.
  let first = rows.length > 0 ? Infinity : window.start;
  let last = rows.length > 0 ? -Infinity : window.end - 1;
  for (const r of rows) {
    first = Math.min(first, r.minuteMs);
    last = Math.max(last, r.minuteMs);
  }
  const days = { start: localDay(first, zone), end: localDay(last, zone) };
  const planned = {
    late: beats.filter((b) => b.kind === 'late').length,
    duplicate: beats.filter((b) => b.kind === 'duplicate').length,
  };
  const summary = {
    sent: report.sent,
    accepted: report.accepted,
    rejected: report.rejected,
    planned,
    lateAccepted: report.lateAccepted,
    seconds,
    ambiguous: report.ambiguous,
    truthRows: rows.length,
    truthFile: o.truth,
    timeZone: zone,
    days,
    peaks: peaks.map((p) => ({
      pullType: p.key,
      statAt: p.minute * 60_000,
      local: localStamp(p.minute * 60_000, zone),
      peakCCV: p.value,
    })),
  };
  if (o.json) io().out(`${JSON.stringify(summary)}\n`);
  else {
    const reasons =
      Object.entries(report.rejected)
        .map(([r, n]) => `${n} ${r}`)
        .join(', ') || 'none';
    io().out(
      `${[
        `sent ${report.sent} heartbeats in ${seconds.toFixed(1)} s (${Math.round(report.sent / Math.max(seconds, 0.001))}/s): ${report.accepted} accepted, refused: ${reasons}`,
        `planned: ${planned.duplicate} duplicates, ${planned.late} late`,
        `truth: ${rows.length} rows (channel, pull type, minute) written to ${o.truth}`,
        ...summary.peaks.map((p) => `peak ${p.pullType}: ${p.peakCCV} at ${p.local}`),
        `local days (${zone}): --start ${days.start} --end ${days.end}`,
      ].join('\n')}\n`,
    );
  }
  if (report.ambiguous > 0) {
    log(
      `simulate: warning: ${report.ambiguous} beacon request(s) straddled a minute boundary; their minute in the truth may be off (raise --boundary-guard-ms)`,
    );
  }
  if (report.lateAccepted > 0) {
    throw new Error(`the server accepted ${report.lateAccepted} heartbeat(s) stamped in a minute that was already closed`);
  }
}

interface VerifyOpts {
  truth: string;
  baseUrl: string;
  adminToken?: string;
  wait?: boolean;
  timeout: string;
  poll: string;
  show: string;
  timeZone?: string;
  progress: boolean;
}

function readTruth(file: string): TruthRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read truth file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const rows = parseTruth(text);
  if (rows.length === 0) throw new Error(`truth file ${file} holds no rows`);
  return rows;
}

async function verify(o: VerifyOpts): Promise<void> {
  const truth = readTruth(o.truth);
  const adminToken = o.adminToken ?? setting('adminToken');
  if (!adminToken) throw new Error('an admin token is required (--admin-token or LIVE_CCV_ADMIN_TOKEN)');
  const options = { baseUrl: trimBase(o.baseUrl), adminToken };
  const show = num('show', o.show, { int: true, min: 0 });
  const zone = zoneOption(o.timeZone);
  let result: Awaited<ReturnType<typeof verifyOnce>>;
  if (o.wait) {
    const timeoutMs = num('timeout', o.timeout, { min: 0 }) * 1000;
    const progress = o.progress ? waitProgress({ write: (text) => io().err(text), isTTY: io().isTTY, timeoutMs }) : undefined;
    try {
      result = await verifyWaiting(truth, {
        ...options,
        timeoutMs,
        pollMs: num('poll', o.poll, { int: true, min: 50 }),
        onPoll: (c) => progress?.poll({ matched: c.matched, mismatches: c.mismatches.length }),
      });
    } finally {
      progress?.stop();
    }
  } else result = await verifyOnce(truth, options);
  const { matched, mismatches } = result;
  const lines = [`verify: ${matched} minute cells match, ${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}`];
  for (const m of mismatches.slice(0, show)) {
    lines.push(
      `  channel ${m.channelId} ${m.pullType} ${localStamp(m.minuteMs, zone)} (${m.minuteMs}): expected ${m.expected}, server ${m.actual}`,
    );
  }
  if (mismatches.length > show) lines.push(`  ... and ${mismatches.length - show} more`);
  io().out(`${lines.join('\n')}\n`);
  if (mismatches.length > 0) io().exitCode = 1;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('send realistic viewer heartbeats to a running server and write the exact expected per-minute CCV')
    .requiredOption('--base-url <url>', 'the server, e.g. http://127.0.0.1:8080')
    .requiredOption('--channels <ids>', 'comma-separated channel ids (they must exist on the server)')
    .requiredOption('--truth <file>', 'where to write the expected CCV rows (.csv for CSV, otherwise NDJSON)')
    .addOption(
      new Option('--endpoint <kind>', 'batch (POST /v1/heartbeats, explicit ts) or beacon (POST /v1/beacon, server time)')
        .choices(['batch', 'beacon'])
        .default('batch'),
    )
    .option('--ingest-token <token>', 'bearer token of the batch endpoint (env LIVE_CCV_INGEST_TOKEN)')
    .option('--viewers <n>', 'mean concurrent viewers per channel at the daily peak', '50')
    .option(
      '--minutes <n>',
      'simulated minutes (batch default: the current minute plus the past ones still open; beacon default 1, real time)',
    )
    .option('--interval <seconds>', 'heartbeat interval of a viewer', '10')
    .option('--watch <minutes>', 'mean watch time', '3')
    .option('--pull-types <list>', 'pull types to use, first the most common (env LIVE_CCV_PULL_TYPES)')
    .option('--switch <p>', 'chance per beat that a viewer switches pull type', '0.03')
    .option('--duplicates <p>', 'chance that a beat is sent twice', '0.02')
    .option(
      '--late <fraction>',
      'extra beats stamped in an already closed minute, which the server must refuse (batch only)',
      '0.01',
    )
    .option('--spike <factor>', 'arrival rate multiplier during a 30 s spike', '4')
    .option('--rate <n>', 'heartbeats per second, at most', '5000')
    .option('--batch-size <n>', 'heartbeats per batch request', '1000')
    .option('--concurrency <n>', 'requests in flight', '2')
    .option('--seed <n>', 'random seed: the same seed gives the same traffic', '1')
    .option('--allowed-lateness-ms <ms>', "the server's lateness (env LIVE_CCV_ALLOWED_LATENESS_MS)")
    .option('--time-zone <zone>', 'zone of the daily curve (env LIVE_CCV_TIME_ZONE)')
    .option('--boundary-guard-ms <ms>', 'beacon: no request starts this close to a minute boundary', '300')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the run summary as one JSON object')
    .action(simulate);

  program
    .command('verify')
    .description("compare a server's stored per-minute CCV with a truth file; exit 0 when equal, 1 otherwise")
    .requiredOption('--truth <file>', 'the truth file written by simulate (NDJSON or CSV)')
    .requiredOption('--base-url <url>', 'the server, e.g. http://127.0.0.1:8080')
    .option('--admin-token <token>', 'admin API bearer token (env LIVE_CCV_ADMIN_TOKEN)')
    .option('--wait', 'poll until the server agrees (minutes still open are not stored yet) or the timeout passes')
    .option('--timeout <seconds>', 'how long --wait polls', '180')
    .option('--poll <ms>', 'interval between polls', '1000')
    .option('--show <n>', 'mismatches listed', '10')
    .option('--time-zone <zone>', 'zone the mismatching minutes are shown in (env LIVE_CCV_TIME_ZONE)')
    .option('--no-progress', 'no progress on stderr while --wait polls')
    .action(verify);
}
