/** `import ccv` and `call ...`, run in-process exactly as the bin runs them (runCli), against a temp store and a real server. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sqlitePath } from '../src/config/config.js';
import { peaksOfSum } from '../src/domain/peak.js';
import { buildApp } from '../src/http/app.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { cli, tempDir, testConfig } from './helpers.js';

const SAMPLE = path.resolve('examples/ccv-sample.csv');
const APP = { appId: 'demo01', appSecret: 'demo-secret-0123456789' };

function oneLine(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^live-ccv: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

/** The sample's rows, read independently of the importer, to derive what the answers must be. */
function sampleRows(): { pullType: string; ms: number; ccv: number }[] {
  const [, ...lines] = fs.readFileSync(SAMPLE, 'utf8').trim().split('\n');
  return lines.map((l) => {
    const [, pullType, minute, ccv] = l.split(',');
    return { pullType: pullType!, ms: Date.parse(minute!), ccv: Number(ccv) };
  });
}

describe('import ccv and call, on one data dir', () => {
  const dataDir = tempDir();
  const env = { LIVE_CCV_DATA_DIR: dataDir };
  let store: SqliteStore;

  before(async () => {
    store = new SqliteStore(sqlitePath({ dataDir }));
    const tenancy = new Tenancy(store);
    await tenancy.createApp({ name: 'demo', ...APP });
    await tenancy.addUser(APP.appId, 'demouser01');
    await tenancy.addChannel('demouser01', '1000001');
  });
  after(() => store.close());

  async function summaryFromStore() {
    const from = Date.parse('2021-08-01T00:00:00+08:00') / 60_000;
    const to = Date.parse('2021-09-01T00:00:00+08:00') / 60_000;
    return peaksOfSum(await store.readCurves('user', ['demouser01'], from, to), from, to);
  }

  test('the sample imports; importing it twice changes nothing', async () => {
    const first = await cli(['import', 'ccv', SAMPLE, '--json'], env);
    assert.equal(first.code, 0, first.stderr);
    const rows = sampleRows();
    assert.deepEqual(JSON.parse(first.stdout), { accepted: rows.length, rejected: [] });
    const once = await summaryFromStore();

    const second = await cli(['import', 'ccv', SAMPLE], env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `${SAMPLE}: ${rows.length} rows imported, 0 rejected\n`);
    assert.deepEqual(await summaryFromStore(), once);
    assert.deepEqual(
      once.map((p) => [p.key, p.value, p.minute * 60_000]),
      [
        ['cdn', 2888, Date.parse('2021-08-17T10:14:00+08:00')],
        ['rtc', 436, Date.parse('2021-08-18T20:31:00+08:00')],
      ],
    );
  });

  test('bad rows: reported by line number with the reason, good rows still load, exit 1', async () => {
    const dir = tempDir();
    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      csv,
      [
        'channelId,pullType,minute,ccv',
        '1000001,cdn,2021-09-20T08:00:00+08:00,7',
        '',
        '999,cdn,2021-09-20T08:01:00+08:00,5',
        '1000001,flv,2021-09-20T08:02:00+08:00,5',
        '1000001,cdn,2021-09-20T08:03:30+08:00,5',
        '1000001,cdn,2021-09-20T08:04:00+08:00',
        '1000001,rtc,1632096240000,-3',
      ].join('\n'),
    );
    const ndjson = path.join(dir, 'rows.txt');
    fs.writeFileSync(ndjson, '{"channelId":"1000001","pullType":"p2p","minute":1632096240000,"ccv":9}\n');
    const [bad, nd, missing] = await Promise.all([
      cli(['import', 'ccv', csv], env),
      cli(['import', 'ccv', ndjson, '--format', 'ndjson', '--json'], env),
      cli(['import', 'ccv', path.join(dir, 'nope.csv')], env),
    ]);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.stdout.trimEnd().split('\n'), [
      `${csv}: 1 rows imported, 5 rejected`,
      '  line 4: unknown channel 999',
      '  line 5: unknown pullType "flv" (accepted: cdn, rtc, p2p)',
      '  line 6: minute must fall on a minute boundary, got "2021-09-20T08:03:30+08:00"',
      '  line 7: expected 4 columns (channelId,pullType,minute,ccv), got 3',
      '  line 8: ccv must be a non-negative integer, got "-3"',
    ]);
    oneLine(bad, /^live-ccv: 5 row\(s\) of .*bad\.csv rejected \(the other 1 were imported\)/);
    assert.equal(nd.code, 0, nd.stderr);
    assert.deepEqual(JSON.parse(nd.stdout), { accepted: 1, rejected: [] });
    oneLine(missing, /^live-ccv: cannot read .*nope\.csv: no such file$/m);

    const m = Date.parse('2021-09-20T08:00:00+08:00') / 60_000;
    const segments = await store.readCurves('channel', ['1000001'], m, m + 5);
    const at = (pullType: string, minute: number) =>
      segments.filter((s) => s.key === pullType).reduce((v, s) => v + (s.values[minute - s.start] ?? 0), 0);
    assert.deepEqual([at('cdn', m), at('cdn', m + 3), at('p2p', m + 4)], [7, 0, 9]);
  });

  describe('call, against a real server on the same store', () => {
    let close: () => Promise<void>;
    let baseUrl: string;
    before(async () => {
      const app = await buildApp({ config: testConfig(), store, logger: false });
      await app.listen({ host: '127.0.0.1', port: 0 });
      baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      close = () => app.close();
    });
    after(() => close());

    test('summary as JSON and as a table; a family endpoint; a wrong secret', async () => {
      const creds = ['--base-url', baseUrl, '--app-id', APP.appId, '--app-secret', APP.appSecret];
      const range = ['--users', 'demouser01', '--start', '2021-08-01', '--end', '2021-08-31'];
      const day18 = { from: Date.parse('2021-08-18T00:00:00+08:00'), to: Date.parse('2021-08-19T00:00:00+08:00') };
      const [asJson, asTable, peak18, wrong] = await Promise.all([
        cli(['call', 'summary', ...creds, ...range, '--json'], env),
        cli(['call', 'summary', ...range], {
          ...env,
          LIVE_CCV_BASE_URL: baseUrl,
          LIVE_CCV_APP_ID: APP.appId,
          LIVE_CCV_APP_SECRET: APP.appSecret,
        }),
        cli(
          [
            'call',
            'channel-max-history-concurrent',
            ...creds,
            '--channel-id',
            '1000001',
            '--start-time',
            '2021-08-18',
            '--end-time',
            String(day18.to),
            '--json',
          ],
          env,
        ),
        cli(['call', 'summary', ...creds, '--app-secret', 'not-the-secret-at-all', ...range], env),
      ]);

      // Expected answers derived from the sample file itself.
      const rows = sampleRows();
      const expected = ['cdn', 'rtc'].map((pullType) => {
        const mine = rows.filter((r) => r.pullType === pullType);
        const top = Math.max(...mine.map((r) => r.ccv));
        return { statAt: Math.min(...mine.filter((r) => r.ccv === top).map((r) => r.ms)), peakCCV: String(top), pullType };
      });
      assert.equal(asJson.code, 0, asJson.stderr);
      assert.deepEqual(JSON.parse(asJson.stdout), expected);

      assert.equal(asTable.code, 0, asTable.stderr);
      const lines = asTable.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^pullType +peakCCV +statAt +local time \(Asia\/Shanghai\)$/);
      assert.match(lines[2] ?? '', /^cdn +2888 +1629166440000 +2021-08-17 10:14$/);
      assert.match(lines[3] ?? '', /^rtc +436 +\d{13} +2021-08-18 20:31$/);

      const perMinute = new Map<number, number>();
      for (const r of rows) if (r.ms >= day18.from && r.ms < day18.to) perMinute.set(r.ms, (perMinute.get(r.ms) ?? 0) + r.ccv);
      assert.equal(peak18.code, 0, peak18.stderr);
      assert.equal(JSON.parse(peak18.stdout), Math.max(...perMinute.values()));

      oneLine(wrong, /^live-ccv: invalid signature\. \(code 403, request [0-9a-f-]{36}\)$/m);
    });

    test('missing credentials and a bad time are named', async () => {
      const [noId, badTime] = await Promise.all([
        cli(['call', 'summary', '--users', 'u', '--start', '2021-08-01', '--end', '2021-08-02'], env),
        cli(
          [
            'call',
            'channel-max-history-concurrent',
            '--app-id',
            'a',
            '--app-secret',
            's',
            '--channel-id',
            '1',
            '--start-time',
            'yesterday',
            '--end-time',
            '1629166440000',
          ],
          env,
        ),
      ]);
      oneLine(noId, /^live-ccv: no application id: pass --app-id or set LIVE_CCV_APP_ID$/m);
      oneLine(badTime, /^live-ccv: --start-time must be epoch milliseconds or yyyy-MM-dd\[ HH:mm\[:ss\]\], got "yesterday"$/m);
    });
  });
});
