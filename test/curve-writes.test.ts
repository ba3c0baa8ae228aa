/**
 * The shared write path (src/store/curve-writes.ts) against a brute-force model, on an in-memory adapter:
 * batches small enough for the patch path and large enough for the full-day path, repeated minutes, values
 * set back to zero, widths growing and shrinking, channels changing owner. After every step the stored forms
 * must be exactly what the model's full days give: trimmed spans, narrowest widths, user curves the sums of
 * their channels, hour blocks the maxima of the user curves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DAY_MINUTES } from '../src/domain/calendar.js';
import { moveChannel, writeGroups, type CurveIO } from '../src/store/curve-writes.js';
import { fromFull, type CurveValues, type DayCurve } from '../src/store/day-curve.js';
import { MinuteBatch } from '../src/store/group-minutes.js';
import { BLOCK_DAYS, blockOf, dayMaxima, patchBlock } from '../src/store/hour-blocks.js';

const DAY = 19_000;
const CHANNELS = ['c0', 'c1', 'c2'];

class MemoryIO implements CurveIO {
  channels = new Map<string, DayCurve>();
  users = new Map<string, DayCurve>();
  blocks = new Map<string, CurveValues>();
  owners = new Map<string, string>();
  channelCurve = (id: string, pt: string, day: number) => this.channels.get(`${id}|${pt}|${day}`);
  owner = (id: string) => this.owners.get(id);
  userCurve = (id: string, pt: string, day: number) => this.users.get(`${id}|${pt}|${day}`);
  block = (id: string, pt: string, b: number) => this.blocks.get(`${id}|${pt}|${b}`);
  putChannel = (id: string, pt: string, day: number, c: DayCurve | undefined) => put(this.channels, `${id}|${pt}|${day}`, c);
  putUser = (id: string, pt: string, day: number, c: DayCurve | undefined) => put(this.users, `${id}|${pt}|${day}`, c);
  putBlock = (id: string, pt: string, b: number, v: CurveValues | undefined) => put(this.blocks, `${id}|${pt}|${b}`, v);
}

function put<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

const shape = (c: DayCurve | CurveValues | undefined) =>
  c === undefined
    ? undefined
    : 'off' in c
      ? { off: c.off, type: c.values.constructor.name, values: [...c.values] }
      : { type: c.constructor.name, values: [...c] };

type Op = { op: 'rows'; rows: [number, string, number, number][] } | { op: 'own'; channel: number; user: string | null };

const minute = fc.oneof(
  fc.integer({ min: 0, max: 5 }), // the start of the day
  fc.integer({ min: 600, max: 700 }), // mid-day
  fc.integer({ min: 1430, max: 1439 }), // its end
  fc.integer({ min: DAY_MINUTES, max: DAY_MINUTES + 3 }), // the next day
);
// per-minute values stay below 2^32 including a user's sum of channels (three here): the codec's limit
const value = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 255 }),
  fc.integer({ min: 256, max: 70_000 }),
  fc.constant(0x50000000),
);
const rows = fc.array(fc.tuple(fc.nat(2), fc.constantFrom('cdn', 'rtc'), minute, value), { minLength: 1, maxLength: 40 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: rows.map((r) => ({ op: 'rows' as const, rows: r })) },
  // a large batch: one channel-day with more minutes than the patch path takes
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.nat(2),
        fc.constantFrom('cdn', 'rtc'),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1439 }), value), { minLength: 65, maxLength: 200 }),
      )
      .map(([c, pt, list]) => ({
        op: 'rows' as const,
        rows: list.map(([m, v]): [number, string, number, number] => [c, pt, m, v]),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('own' as const), channel: fc.nat(2), user: fc.constantFrom('u0', 'u1', null) }),
  },
);

test('stored channel curves, user curves and hour blocks equal the brute-force model after every step', () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 15 }), (ops) => {
      const io = new MemoryIO();
      const model = new Map<string, Float64Array>(); // channel|pt|day -> full day
      for (const o of ops) {
        if (o.op === 'rows') {
          const batch = new MinuteBatch();
          for (const [c, pt, m, v] of o.rows) {
            batch.add(CHANNELS[c]!, pt, DAY * DAY_MINUTES + m, v);
            const day = DAY + Math.floor(m / DAY_MINUTES);
            const k = `${CHANNELS[c]}|${pt}|${day}`;
            if (!model.has(k)) model.set(k, new Float64Array(DAY_MINUTES));
            model.get(k)![m % DAY_MINUTES] = v;
          }
          writeGroups(batch.groups(), io);
        } else {
          const channel = CHANNELS[o.channel]!;
          const old = io.owners.get(channel);
          const curves = [...io.channels]
            .filter(([k]) => k.startsWith(`${channel}|`))
            .map(([k, curve]) => ({ pullType: k.split('|')[1]!, day: Number(k.split('|')[2]), curve }));
          if (old !== undefined) moveChannel(curves, old, -1, io);
          io.owners.delete(channel);
          if (o.user !== null) {
            io.owners.set(channel, o.user);
            moveChannel(curves, o.user, 1, io);
          }
        }
        // channels: exactly the model's days
        for (const [k, full] of model) assert.deepEqual(shape(io.channelCurve(...split(k))), shape(fromFull(full)), k);
        // users: the sums of their channels now
        const sums = new Map<string, Float64Array>();
        for (const [k, full] of model) {
          const [c, pt, day] = split(k);
          const u = io.owners.get(c);
          if (u === undefined) continue;
          const uk = `${u}|${pt}|${day}`;
          if (!sums.has(uk)) sums.set(uk, new Float64Array(DAY_MINUTES));
          const s = sums.get(uk)!;
          for (let m = 0; m < DAY_MINUTES; m++) s[m]! += full[m]!;
        }
        const expectedUsers = new Map(
          [...sums].map(([k, s]) => [k, fromFull(s)]).filter((e) => e[1] !== undefined) as [string, DayCurve][],
        );
        assert.deepEqual(
          new Map([...io.users].map(([k, c]) => [k, shape(c)])),
          new Map([...expectedUsers].map(([k, c]) => [k, shape(c)])),
        );
        // blocks: the hour maxima of the user curves
        const blocks = new Map<string, Map<number, Uint32Array>>();
        for (const [k, c] of expectedUsers) {
          const [u, pt, day] = split(k);
          const bk = `${u}|${pt}|${blockOf(day)}`;
          if (!blocks.has(bk)) blocks.set(bk, new Map());
          blocks.get(bk)!.set(day - blockOf(day) * BLOCK_DAYS, dayMaxima(c));
        }
        assert.deepEqual(
          new Map([...io.blocks].map(([k, v]) => [k, shape(v)])),
          new Map([...blocks].map(([k, days]) => [k, shape(patchBlock(undefined, days))])),
        );
      }
    }),
    { numRuns: 300 },
  );
});

function split(k: string): [string, string, number] {
  const [a, b, c] = k.split('|') as [string, string, string];
  return [a, b, Number(c)];
}
