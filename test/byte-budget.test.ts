/**
 * The byte budget of bodies in flight, against a brute-force model of its rule, and the metered body
 * stream: refused bytes fail the stream with the caller's error, and an error nobody listens for any more
 * does not crash the process.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { ByteBudget } from '../src/limits/byte-budget.js';
import { metered } from '../src/limits/metered-body.js';

test('a lease is granted when it fits or when it is alone; releases give every byte back', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.tuple(fc.nat(4), fc.oneof(fc.integer({ min: 0, max: 600 }), fc.constant(-1))), { maxLength: 60 }),
      (capacity, ops) => {
        const budget = new ByteBudget(capacity);
        const leases = Array.from({ length: 5 }, () => budget.lease());
        const held = [0, 0, 0, 0, 0];
        const released = [false, false, false, false, false];
        for (const [i, n] of ops) {
          if (n === -1) {
            leases[i]!.release();
            released[i] = true;
            held[i] = 0;
            continue;
          }
          const total = held.reduce((a, b) => a + b, 0);
          const others = total - held[i]!;
          const expect = !released[i] && (others === 0 || total + n <= capacity);
          assert.equal(leases[i]!.take(n), expect);
          if (expect) held[i]! += n;
          assert.equal(
            budget.inUse(),
            held.reduce((a, b) => a + b, 0),
          );
        }
        for (const l of leases) l.release();
        assert.equal(budget.inUse(), 0);
      },
    ),
  );
});

test('a metered body fails with the refusal once the budget is used up, and a late error crashes nothing', async () => {
  const budget = new ByteBudget(100);
  const other = budget.lease();
  assert.ok(other.take(60));
  const lease = budget.lease();
  const body = new PassThrough();
  const out = metered(body, lease, () => new Error('busy'));
  const seen: Buffer[] = [];
  const failed = new Promise<Error>((resolve) => out.once('error', resolve));
  out.on('data', (d: Buffer) => seen.push(d));
  body.write(Buffer.alloc(30));
  body.write(Buffer.alloc(30));
  assert.equal((await failed).message, 'busy');
  assert.equal(Buffer.concat(seen).length, 30, 'only the bytes that fit went through');
  assert.equal(lease.held, 30);

  // The reader stopped listening (as fastify does at its body limit); a refusal now must stay quiet.
  const source = new PassThrough();
  metered(source, budget.lease(), () => new Error('late'));
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    source.write(Buffer.alloc(50));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.deepEqual(uncaught, []);
});
