/**
 * The ingest's building blocks on their own: the log codec (a torn or corrupted frame ends a segment's replay and
 * nothing after it is trusted), the minute aggregator (exact distinct viewers, checked against a brute-force count)
 * and the realtime window (a viewer counts while its latest beat is under 60 s old).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { Heartbeat } from '../src/ingest/heartbeat.js';
import { decodeFrames, encodeFrame } from '../src/ingest/log-codec.js';
import { MinuteAggregator } from '../src/ingest/minute-aggregator.js';
import { RealtimeWindow, WINDOW_MS } from '../src/ingest/realtime-window.js';

const T = 1_700_000_000_000 - (1_700_000_000_000 % 60_000);
const beat = (channelId: string, viewerId: string, ts: number, pullType = 'cdn'): Heartbeat => ({
  channelId,
  viewerId,
  pullType,
  ts,
});
const frames = (data: Buffer) => [...decodeFrames(data)];

describe('log codec', () => {
  const a = [beat('1', 'v1', T), beat('2', 'v-é', T + 1, 'rtc')];
  const b = [beat('3', 'v3', T + 2)];

  test('frames round-trip, unicode included', () => {
    assert.deepEqual(frames(Buffer.concat([encodeFrame(a), encodeFrame(b)])), [a, b]);
  });

  test('a torn last frame (a crash mid-write) ends the replay after the intact frames', () => {
    const whole = Buffer.concat([encodeFrame(a), encodeFrame(b)]);
    for (let cut = encodeFrame(a).length; cut < whole.length; cut++) {
      assert.deepEqual(frames(whole.subarray(0, cut)), [a], `cut at ${cut}`);
    }
    assert.deepEqual(frames(whole.subarray(0, 5)), []);
  });

  test('a flipped byte fails the checksum: that frame and everything after it are not replayed', () => {
    const first = encodeFrame(a);
    const whole = Buffer.concat([first, encodeFrame(b), encodeFrame(a)]);
    const corrupt = Buffer.from(whole);
    corrupt[first.length + 10]! ^= 0xff;
    assert.deepEqual(frames(corrupt), [a]);
  });

  test('a zero length or a length past the end is the end of the segment', () => {
    assert.deepEqual(frames(Buffer.alloc(16)), []);
    const huge = Buffer.from(encodeFrame(b));
    huge.writeUInt32LE(1 << 30, 0);
    assert.deepEqual(frames(Buffer.concat([encodeFrame(a), huge])), [a]);
  });
});

describe('MinuteAggregator', () => {
  test('counts exact distinct viewers per channel, pull type and minute (brute-force oracle)', () => {
    const arb = fc.array(
      fc.record({
        channelId: fc.constantFrom('1', '2'),
        viewerId: fc.constantFrom('a', 'b', 'c', 'd'),
        pullType: fc.constantFrom('cdn', 'rtc'),
        ts: fc.integer({ min: T, max: T + 3 * 60_000 - 1 }),
      }),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(arb, (beats) => {
        const agg = new MinuteAggregator();
        for (const b of beats) agg.add(b);
        const oracle = new Map<string, Set<string>>();
        for (const b of beats) {
          const key = `${Math.floor(b.ts / 60_000)}|${b.channelId}|${b.pullType}`;
          if (!oracle.has(key)) oracle.set(key, new Set());
          oracle.get(key)!.add(b.viewerId);
        }
        const rows = agg.closedRows(Infinity);
        assert.equal(rows.length, oracle.size);
        for (const r of rows) assert.equal(r.ccv, oracle.get(`${r.minute}|${r.channelId}|${r.pullType}`)!.size);
      }),
      { numRuns: 200 },
    );
  });

  test('closedRows takes only minutes before the cut; drop forgets them, later minutes stay', () => {
    const agg = new MinuteAggregator();
    const m = T / 60_000;
    agg.add(beat('1', 'a', T));
    agg.add(beat('1', 'b', T + 59_999));
    agg.add(beat('1', 'a', T + 60_000));
    assert.deepEqual(agg.closedRows(m + 1), [{ channelId: '1', pullType: 'cdn', minute: m, ccv: 2 }]);
    agg.drop(m + 1);
    assert.deepEqual(agg.openMinutes(), [m + 1]);
    assert.equal(agg.count(m, '1', 'cdn'), 0);
    // a beat after a drop for the dropped minute starts it afresh (the service refuses such late beats before this)
    agg.add(beat('1', 'z', T + 60_001));
    assert.equal(agg.count(m + 1, '1', 'cdn'), 2);
  });
});

describe('RealtimeWindow', () => {
  test('a viewer counts while its latest beat is less than 60 s old; pull types add up', () => {
    const w = new RealtimeWindow();
    const now = T + 120_000;
    w.add(beat('1', 'a', now - 10_000), now);
    w.add(beat('1', 'b', now - WINDOW_MS), now); // exactly 60 s old: gone
    w.add(beat('1', 'a', now - 5_000, 'rtc'), now);
    w.add(beat('1', 'c', now - 70_000), now);
    w.add(beat('1', 'c', now - 1_000), now); // a later beat renews the viewer
    assert.equal(w.count('1', now), 3);
    assert.equal(w.count('1', now, 'cdn'), 2);
    assert.equal(w.count('1', now + 56_000), 1); // only c's beat (now - 1 s) is still young at now + 56 s
    assert.equal(w.count('2', now), 0);
  });

  test('a beat stamped in the future counts from now, and prune forgets departed viewers', () => {
    const w = new RealtimeWindow();
    w.add(beat('1', 'a', T + 30_000), T);
    assert.equal(w.count('1', T + WINDOW_MS - 1), 1);
    assert.equal(w.count('1', T + WINDOW_MS), 0);
    w.prune(T + WINDOW_MS);
    assert.equal(w.count('1', T), 0);
  });
});
