/**
 * The bulk import against an oracle: any row order, duplicates (the last row of a minute wins), rows set
 * back to zero, bad rows among good ones, text cut into chunks at any point (even inside a line), lines the
 * fast parser takes and lines only the general path takes (ISO times, quotes, spaces), several flushes per
 * import. The store's channel curves, user curves and summary must equal what applying the accepted rows one
 * by one gives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { peaksOfSum, sumByKey } from '../src/domain/peak.js';
import { CcvImporter } from '../src/service/import-ccv.js';
import { Tenancy } from '../src/service/tenancy.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { testConfig } from './helpers.js';

const T0 = 19_000 * DAY_MINUTES; // a UTC midnight, epoch minutes
const CHANNELS = ['100', '101', '102'];
const OWNER: Record<string, string> = { '100': 'ua', '101': 'ua', '102': 'ub' };

interface Row {
  channel: string;
  pullType: string;
  minute: number;
  ccv: number;
  style: 'epoch' | 'iso' | 'padded' | 'quoted';
}

function line(r: Row): string {
  const ms = r.minute * 60_000;
  switch (r.style) {
    case 'epoch':
      return `${r.channel},${r.pullType},${ms},${r.ccv}`;
    case 'iso':
      return `${r.channel},${r.pullType},${new Date(ms).toISOString()},${r.ccv}`;
    case 'padded':
      return ` ${r.channel} , ${r.pullType},${ms} ,${r.ccv} `;
    case 'quoted':
      return `"${r.channel}","${r.pullType}","${ms}","${r.ccv}"`;
  }
}

const row = fc.record({
  channel: fc.constantFrom(...CHANNELS, '999'), // 999 does not exist
  pullType: fc.constantFrom('cdn', 'rtc', 'hls'), // hls is not configured
  // two UTC days and the edges around them, with many repeats of the same minutes
  minute: fc.oneof(
    fc.integer({ min: T0 - 3, max: T0 + 3 }),
    fc.integer({ min: T0 + DAY_MINUTES - 5, max: T0 + DAY_MINUTES + 70 }),
  ),
  ccv: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 60_000, max: 70_000 })),
  style: fc.constantFrom('epoch', 'epoch', 'epoch', 'iso', 'padded', 'quoted'),
});

test('import equals applying the accepted rows one by one, in any order and chunking', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(row, { maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 200 }),
      async (rows, cuts, header, flushRows) => {
        const store = new SqliteStore(':memory:');
        try {
          const tenancy = new Tenancy(store);
          const app = await tenancy.createApp({ name: 'i' });
          for (const u of ['ua', 'ub']) await tenancy.addUser(app.appId, u);
          for (const [c, u] of Object.entries(OWNER)) await tenancy.addChannel(u, c);
          // the oracle: rows applied one by one, the bad ones skipped
          const model = new Map<string, number>();
          const lines = rows.map(line);
          let accepted = 0;
          const rejected: number[] = [];
          rows.forEach((r, i) => {
            const bad = r.channel === '999' || r.pullType === 'hls';
            if (bad) rejected.push(i + 1 + (header ? 1 : 0));
            else {
              accepted++;
              model.set(`${r.channel}|${r.pullType}|${r.minute}`, r.ccv);
            }
          });
          lines.push('100,cdn,1632096240000'); // too few columns, last line without a newline
          rejected.push(lines.length + (header ? 1 : 0));
          const text = (header ? 'minute,ccv,channelId,pullType\n' : '') + lines.map((l) => reorder(l, header)).join('\n');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points, text.length].slice(1).map((end, i, all) => text.slice(i === 0 ? 0 : all[i - 1], end));
          const result = await new CcvImporter(store, testConfig({ pullTypes: 'cdn,rtc' }), flushRows).importText(
            chunks.filter((c) => c !== ''),
          );
          assert.equal(result.accepted, accepted);
          assert.deepEqual(
            result.rejected.map((r) => r.line),
            rejected,
          );

          const from = T0 - DAY_MINUTES;
          const to = T0 + 3 * DAY_MINUTES;
          const expected = (ids: string[]) => {
            const out: Record<string, Record<number, number>> = {};
            for (const [k, v] of model) {
              const [c, pt, m] = k.split('|') as [string, string, string];
              if (v === 0 || !ids.includes(c)) continue;
              const minutes = (out[pt] ??= {});
              minutes[Number(m)] = (minutes[Number(m)] ?? 0) + v;
            }
            return out;
          };
          const stored = async (kind: 'channel' | 'user', ids: string[]) => {
            const out: Record<string, Record<number, number>> = {};
            for (const [key, total] of sumByKey(await store.readCurves(kind, ids, from, to), from, to)) {
              total.forEach((v, i) => {
                if (v !== 0) (out[key] ??= {})[from + i] = v;
              });
            }
            return out;
          };
          for (const c of [...CHANNELS]) assert.deepEqual(await stored('channel', [c]), expected([c]), `channel ${c}`);
          for (const u of ['ua', 'ub']) {
            const mine = Object.keys(OWNER).filter((c) => OWNER[c] === u);
            assert.deepEqual(await stored('user', [u]), expected(mine), `user ${u}`);
          }
          assert.deepEqual(
            await store.userPeaks(['ua', 'ub'], from, to),
            peaksOfSum(await store.readCurves('user', ['ua', 'ub'], from, to), from, to),
          );
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 120 },
  );
});

/** With a header naming the columns in another order, each line's cells follow that order. */
function reorder(l: string, header: boolean): string {
  if (!header) return l;
  const cells = l.split(',');
  if (cells.length !== 4) return l;
  const [channel, pullType, minute, ccv] = cells;
  return [minute, ccv, channel, pullType].join(',');
}

test('rows of a channel not yet checked keep their order against rows of checked channels', async () => {
  const store = new SqliteStore(':memory:');
  try {
    const tenancy = new Tenancy(store);
    const app = await tenancy.createApp({ name: 'o' });
    await tenancy.addUser(app.appId, 'u');
    await tenancy.addChannel('u', '1');
    await tenancy.addChannel('u', '2');
    const ms = T0 * 60_000;
    // chunk 1 checks channel 1; chunk 2 has rows of 2 (unchecked: held) around rows of 1 (checked: direct)
    const result = await new CcvImporter(store, testConfig(), 1).importText([
      `1,cdn,${ms},5\n`,
      `2,cdn,${ms},7\n1,cdn,${ms},6\n2,cdn,${ms},8\n1,cdn,${ms + 60_000},1\n`,
    ]);
    assert.deepEqual(result, { accepted: 5, rejected: [] });
    const curves = await store.readCurves('channel', ['1', '2'], T0, T0 + 2);
    assert.deepEqual(Object.fromEntries([...sumByKey(curves, T0, T0 + 2)].map(([k, v]) => [k, [...v]])), { cdn: [14, 1] });
  } finally {
    await store.close();
  }
});
