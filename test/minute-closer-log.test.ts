/**
 * The minute closer's own reporting: a debug line per flush that closed minutes (minutes closed, rows, lag),
 * a warning when the store had fallen behind by far more than the lateness, and the metrics that follow
 * (minutes closed, rows written, open minutes and viewers held, freshness lag), on a real store and log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tenancy } from '../src/service/tenancy.js';
import { flushReport, lagWarningMs } from '../src/ingest/flush-report.js';
import { IngestService } from '../src/ingest/ingest-service.js';
import { scrape } from '../src/metrics/metrics.js';
import { tempStore, testConfig } from './helpers.js';
import { value } from './prometheus-text.js';

const LATENESS = 10_000;
const M0 = 28_500_000; // an epoch minute (2024-03-09)

interface Line {
  level: 'debug' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

test('each flush that closes minutes logs them with the lag at debug, and a catch-up after a stall warns', async () => {
  const store = tempStore();
  const tenancy = new Tenancy(store);
  const app = await tenancy.createApp({ name: 'closer' });
  await tenancy.addUser(app.appId, 'u1');
  await tenancy.addChannel('u1', '100');
  const lines: Line[] = [];
  const logger = {
    debug: (fields: object, msg: string) => lines.push({ level: 'debug', fields: fields as Line['fields'], msg }),
    warn: (fields: object, msg: string) => lines.push({ level: 'warn', fields: fields as Line['fields'], msg }),
  };
  const clock = { now: M0 * 60_000 + 5_000 };
  const config = testConfig({ allowedLatenessMs: LATENESS });
  const metric = async (name: string) => value((await scrape()).body, name);
  const closedBefore = await metric('live_ccv_closed_minute_windows_total');
  const rowsBefore = await metric('live_ccv_minute_rows_written_total');
  const service = await IngestService.open(config, store, { now: () => clock.now, timers: false, logger });
  try {
    assert.equal(lines.length, 1);
    assert.match(lines[0]!.msg, /^first flush: every minute through .* is closed$/);
    assert.equal(lines[0]!.fields.minutesClosed, 0, 'setting the first watermark closes nothing anyone counted');

    await service.directory.reload();
    const beats = ['a', 'b', 'c'].map((viewerId) => ({ channelId: '100', viewerId, ts: clock.now }));
    assert.equal((await service.submit(beats, { scope: { kind: 'global' }, acceptTs: true })).accepted, 3);
    assert.equal(await metric('live_ccv_open_minute_windows'), 1);
    assert.equal(await metric('live_ccv_open_minute_viewers'), 3);

    // M0 ends at (M0+1)*60 s and closes LATENESS later.
    clock.now = (M0 + 1) * 60_000 + LATENESS + 500;
    await service.flush();
    const closed = lines.at(-1)!;
    assert.equal(closed.level, 'debug');
    // the first flush left M0-1 open (it had not been over for the lateness yet): M0-1 and M0 close now
    assert.equal(closed.msg, 'closed 2 minutes');
    assert.deepEqual(closed.fields, {
      minutesClosed: 2,
      rows: 1,
      lagMs: LATENESS + 500,
      closedThrough: new Date(M0 * 60_000).toISOString(),
    });
    assert.equal((await metric('live_ccv_closed_minute_windows_total')) - closedBefore, 2);
    assert.equal((await metric('live_ccv_minute_rows_written_total')) - rowsBefore, 1);
    assert.equal(await metric('live_ccv_open_minute_windows'), 0);
    assert.equal(await metric('live_ccv_freshness_lag_seconds'), (LATENESS + 500) / 1000);

    // Nothing closes within the same minute: no line.
    clock.now += 1_000;
    await service.flush();
    assert.equal(lines.length, 2);

    // The closer stalls for ten minutes (a store outage, a paused process), then catches up: a warning.
    clock.now += 10 * 60_000;
    await service.flush();
    const caughtUp = lines.at(-1)!;
    assert.equal(caughtUp.level, 'warn');
    assert.match(
      caughtUp.msg,
      /^minute closer fell behind: stored minutes were \d+ s old \(at most 131 s expected with lateness 10 s\); closed 10 minutes now$/,
    );
    assert.equal(caughtUp.fields.minutesClosed, 10);
  } finally {
    await service.stop();
    await store.close();
  }
  assert.ok(Number.isNaN(await metric('live_ccv_freshness_lag_seconds')), 'a stopped ingest stops reporting');
});

test('the warning threshold is the lateness plus a minute plus a flush, plus a minute or the lateness again', () => {
  assert.equal(lagWarningMs(120_000), 120_000 + 60_000 + 1_000 + 120_000);
  assert.equal(lagWarningMs(1_000), 1_000 + 60_000 + 1_000 + 60_000);
  const healthy = { before: 100, after: 101, rows: 5, latenessMs: 120_000 };
  // at most lateness + 61 s behind before a healthy flush: debug
  assert.equal(flushReport({ ...healthy, now: 100 * 60_000 + 181_000 })?.level, 'debug');
  assert.equal(flushReport({ ...healthy, now: 100 * 60_000 + 302_000 })?.level, 'warn');
  assert.equal(flushReport({ ...healthy, after: 100, now: 100 * 60_000 + 999_000 }), undefined, 'nothing closed, nothing said');
});
