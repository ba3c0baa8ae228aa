/** The simulator's pure parts: traffic generation, ground truth, windows, truth files, comparison. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareRows } from '../src/sim/compare.js';
import { generateTraffic, type SimBeat, type TrafficOptions } from '../src/sim/traffic.js';
import { formatTruth, parseTruth, truthPeaks, TruthCounter, type TruthRow } from '../src/sim/truth.js';
import { batchWindow, defaultBatchMinutes } from '../src/sim/window.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0); // 20:00 in Asia/Shanghai, near the daily peak

function options(over: Partial<TrafficOptions> = {}): TrafficOptions {
  return {
    seed: 7,
    channels: ['1000001', '1000002'],
    viewers: 40,
    start: T0,
    end: T0 + 3 * 60_000,
    intervalMs: 10_000,
    watchMeanMs: 120_000,
    pullTypes: ['cdn', 'rtc', 'p2p'],
    switchProbability: 0.05,
    duplicateProbability: 0.05,
    lateFraction: 0.02,
    lateMinute: T0 - 10 * 60_000,
    spikeFactor: 4,
    timeZone: 'Asia/Shanghai',
    ...over,
  };
}

/** The definition, counted the slow way: for each cell, the distinct viewers among all beats. */
function bruteForce(beats: readonly SimBeat[]): TruthRow[] {
  const cells = new Set(beats.map((b) => `${b.channelId},${b.pullType},${Math.floor(b.ts / 60_000) * 60_000}`));
  const rows: TruthRow[] = [];
  for (const cell of cells) {
    const [channelId = '', pullType = '', minute = ''] = cell.split(',');
    const m = Number(minute);
    const viewers = beats
      .filter((b) => b.channelId === channelId && b.pullType === pullType && b.ts >= m && b.ts < m + 60_000)
      .map((b) => b.viewerId);
    rows.push({ channelId, pullType, minuteMs: m, ccv: new Set(viewers).size });
  }
  return rows.sort((a, b) => (a.channelId + a.pullType + a.minuteMs < b.channelId + b.pullType + b.minuteMs ? -1 : 1));
}

test('the same seed gives the same traffic, another seed different traffic', () => {
  const a = generateTraffic(options());
  const b = generateTraffic(options());
  const c = generateTraffic(options({ seed: 8 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.beats, c.beats);
});

test('traffic has duplicates, pull-type switches, late beats in the closed minute, and beats sorted by time', () => {
  const { beats } = generateTraffic(options());
  const regular = beats.filter((b) => b.kind !== 'late');
  const late = beats.filter((b) => b.kind === 'late');
  assert.ok(beats.some((b) => b.kind === 'duplicate'));
  assert.ok(late.length > 0);
  for (const b of late) assert.ok(b.ts >= T0 - 10 * 60_000 && b.ts < T0 - 9 * 60_000);
  for (const b of regular) assert.ok(b.ts >= T0 && b.ts < T0 + 3 * 60_000);
  for (let i = 1; i < regular.length; i++) assert.ok(regular[i]!.ts >= regular[i - 1]!.ts);
  const pulls = new Map<string, Set<string>>();
  for (const b of regular) pulls.set(b.viewerId, (pulls.get(b.viewerId) ?? new Set()).add(b.pullType));
  assert.ok(
    [...pulls.values()].some((s) => s.size > 1),
    'some viewer switched pull type',
  );
  assert.deepEqual(new Set(regular.map((b) => b.pullType)), new Set(['cdn', 'rtc', 'p2p']));
});

test('arrivals rise during the spike', () => {
  const t = generateTraffic(options({ viewers: 200, lateFraction: 0, end: T0 + 5 * 60_000 }));
  const firstBeat = new Map<string, number>();
  for (const b of t.beats) if (!firstBeat.has(b.viewerId)) firstBeat.set(b.viewerId, b.ts);
  const arrivals = [...firstBeat.values()].filter((ts) => ts > T0 + 10_000);
  const spikeLength = t.spike.end - t.spike.start;
  const inSpike = arrivals.filter((ts) => ts >= t.spike.start && ts < t.spike.end).length / spikeLength;
  const outside = arrivals.filter((ts) => ts < t.spike.start || ts >= t.spike.end).length / (5 * 60_000 - 10_000 - spikeLength);
  assert.ok(inSpike > 2 * outside, `arrival rate in spike ${inSpike} vs outside ${outside}`);
});

test('the truth equals a brute-force count of distinct viewers per channel, pull type and minute', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 1, max: 30 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      (seed, viewers, switchProbability, duplicateProbability) => {
        const { beats } = generateTraffic(
          options({ seed, viewers, switchProbability, duplicateProbability, lateFraction: 0.05 }),
        );
        // what the sender does with the server's answer: refused beats (here: the late ones) never count
        const accepted = beats.filter((b) => b.kind !== 'late');
        const truth = new TruthCounter();
        for (const b of accepted) truth.add(b);
        assert.deepEqual(truth.rows(), bruteForce(accepted));
      },
    ),
    { numRuns: 25 },
  );
});

test('batch windows: one minute with 1 s lateness, the open past minutes with 120 s; late minute is closed', () => {
  const now = T0 + 30_000;
  assert.equal(defaultBatchMinutes(now, 1000), 1);
  assert.equal(defaultBatchMinutes(now, 120_000), 3);
  assert.equal(defaultBatchMinutes(T0 + 55_000, 120_000), 2);
  const w = batchWindow(now, 120_000);
  assert.deepEqual([w.start, w.end], [T0 - 120_000, T0 + 60_000]);
  // the oldest planned minute stays open for the run: it closes at its end + lateness
  assert.ok(w.start + 60_000 + 120_000 > now + 10_000);
  assert.ok(w.lateMinute + 60_000 + 120_000 < now);
  // near a minute start the window is cut 55 s ahead of now (the server refuses beats > 60 s ahead)
  assert.equal(batchWindow(T0 + 1000, 1000).end, T0 + 56_000);
  assert.throws(() => batchWindow(now, 1000, 0), /minutes must be a positive integer/);
});

test('bad options are refused naming the problem', () => {
  assert.throws(() => generateTraffic(options({ channels: [] })), /at least one channel/);
  assert.throws(() => generateTraffic(options({ duplicateProbability: 2 })), /duplicate probability must be between 0 and 1/);
  assert.throws(() => generateTraffic(options({ intervalMs: 10 })), /heartbeat interval/);
});

test('truth files round-trip as NDJSON and CSV; bad lines name their number', () => {
  const rows: TruthRow[] = [
    { channelId: '1000001', pullType: 'cdn', minuteMs: T0, ccv: 3 },
    { channelId: '1000001', pullType: 'rtc', minuteMs: T0 + 60_000, ccv: 1 },
  ];
  assert.deepEqual(parseTruth(formatTruth(rows, 'ndjson')), rows);
  assert.deepEqual(parseTruth(formatTruth(rows, 'csv')), rows);
  assert.throws(() => parseTruth('1000001,cdn,12345,3\n'), /line 1: minute must be epoch ms of a minute start/);
  assert.throws(() => parseTruth(`1000001,cdn,${T0},3\n{bad\n`), /line 2: not valid JSON/);
});

test('comparison lists cells that differ, including cells missing on either side', () => {
  const truth: TruthRow[] = [
    { channelId: '1', pullType: 'cdn', minuteMs: T0, ccv: 3 },
    { channelId: '1', pullType: 'cdn', minuteMs: T0 + 60_000, ccv: 2 },
  ];
  const server: TruthRow[] = [
    { channelId: '1', pullType: 'cdn', minuteMs: T0, ccv: 3 },
    { channelId: '1', pullType: 'rtc', minuteMs: T0, ccv: 1 },
  ];
  const c = compareRows(truth, server);
  assert.equal(c.matched, 1);
  assert.deepEqual(
    c.mismatches.map((m) => [m.pullType, m.minuteMs - T0, m.expected, m.actual]),
    [
      ['rtc', 0, 0, 1],
      ['cdn', 60_000, 2, 0],
    ],
  );
  assert.deepEqual(compareRows(truth, truth), { matched: 2, mismatches: [] });
});

test('truth peaks are the simultaneous peak of the channels summed, earliest minute on ties', () => {
  const rows: TruthRow[] = [
    { channelId: '1', pullType: 'cdn', minuteMs: T0, ccv: 5 },
    { channelId: '2', pullType: 'cdn', minuteMs: T0 + 60_000, ccv: 5 },
    { channelId: '1', pullType: 'cdn', minuteMs: T0 + 60_000, ccv: 1 },
    { channelId: '2', pullType: 'cdn', minuteMs: T0 + 120_000, ccv: 6 },
  ];
  assert.deepEqual(truthPeaks(rows), [{ key: 'cdn', minute: T0 / 60_000 + 1, value: 6 }]);
  assert.deepEqual(truthPeaks(rows, ['1']), [{ key: 'cdn', minute: T0 / 60_000, value: 5 }]);
});
