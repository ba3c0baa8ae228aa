/**
 * Fenced minute writes (src/store/fence.ts) on both stores: a partition owner's write commits only while its
 * token is the newest claim, checked in the write's own transaction, so an owner that lost its lease cannot
 * overwrite what the next owner wrote. PostgreSQL runs in a schema of its own, dropped afterwards.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FencedError, type FenceToken } from '../src/store/fence.js';
import type { Store } from '../src/store/port.js';
import { Tenancy } from '../src/service/tenancy.js';
import { adapters } from './store-adapters.js';

const all = adapters();
after(async () => {
  for (const a of all) await a.teardown?.();
});

const KEY = 'deploy/partition/3';
const token = (epoch: number, generation = 1000): FenceToken => ({ key: KEY, generation, epoch });
const M = 29_000_000;
const row = (ccv: number, minute = M) => ({ channelId: '100', pullType: 'cdn', minute, ccv });

async function seeded(store: Store): Promise<void> {
  const t = new Tenancy(store);
  const app = await t.createApp({ name: 'fence' });
  await t.addUser(app.appId, 'u1');
  await t.addChannel('u1', '100');
}

async function minute(store: Store, kind: 'channel' | 'user', id: string, m = M): Promise<number> {
  let n = 0;
  for (const s of await store.readCurves(kind, [id], m, m + 1)) n += s.values[m - s.start] ?? 0;
  return n;
}

for (const adapter of all) {
  /** a store and a second one on the same data (another process), and the cleanup */
  const open = async (): Promise<[Store, Store, () => Promise<void>]> => {
    const db = await adapter.open();
    return [db.store, await db.peer(), db.drop];
  };
  describe(`fenced minute writes: ${adapter.name}`, () => {
    test('the newest claim writes; an owner whose token was superseded writes nothing', async () => {
      const [store, other, drop] = await open();
      try {
        await seeded(store);
        assert.equal(await store.claimFence(token(5)), undefined, 'no progress before the first write');
        await store.setChannelMinutesFenced([row(7)], token(5), String(M + 1));
        assert.equal(await minute(store, 'channel', '100'), 7);

        // the next owner (another process) claims: it learns the progress, the old owner is fenced
        assert.equal(await other.claimFence(token(9)), String(M + 1));
        await assert.rejects(store.setChannelMinutesFenced([row(3)], token(5), String(M + 2)), FencedError);
        await assert.rejects(store.setChannelMinutesFenced([], token(5), String(M + 2)), FencedError);
        assert.equal(await minute(other, 'channel', '100'), 7, 'the fenced write changed no channel minute');
        assert.equal(await minute(other, 'user', 'u1'), 7, "nor the owner's curve");
        assert.equal(await other.claimFence(token(9)), String(M + 1), 'nor the progress');

        await other.setChannelMinutesFenced([row(11)], token(9), String(M + 2));
        assert.equal(await minute(store, 'user', 'u1'), 11);

        // the progress of every key under a prefix, for freshness (a claimed key not written yet has none)
        await other.claimFence({ key: 'deploy/partition/4', generation: 1000, epoch: 1 });
        await other.claimFence({ key: 'other/partition/0', generation: 1000, epoch: 1 });
        assert.deepEqual(
          await store.listFenceProgress('deploy/partition/'),
          new Map([
            [KEY, String(M + 2)],
            ['deploy/partition/4', undefined],
          ]),
        );
      } finally {
        await drop();
      }
    });

    test('an older token cannot claim; a newer generation wins over any epoch of an older one', async () => {
      const [store, other, drop] = await open();
      try {
        await store.claimFence(token(50));
        await assert.rejects(store.claimFence(token(49)), FencedError);
        await other.claimFence(token(2, 2000)); // the lease bucket was recreated: its revisions restart
        await assert.rejects(store.setChannelMinutesFenced([row(1)], token(50), '1'), FencedError);
        await assert.rejects(store.claimFence(token(60)), FencedError);
      } finally {
        await drop();
      }
    });

    test('a write racing a claim either commits before it (and the claim sees its progress) or is fenced', async () => {
      const [store, other, drop] = await open();
      try {
        await seeded(store);
        let epoch = 1;
        await store.claimFence(token(epoch));
        await store.setChannelMinutesFenced([row(1)], token(epoch), '1');
        const outcomes = new Set<string>();
        for (let i = 2; i < 22; i++) {
          const writer = token(epoch);
          const [write, claim] = await Promise.allSettled([
            store.setChannelMinutesFenced([row(i)], writer, String(i)),
            other.claimFence(token(++epoch)),
          ]);
          assert.equal(claim.status, 'fulfilled');
          const seen = (claim as PromiseFulfilledResult<string | undefined>).value;
          if (write.status === 'fulfilled') {
            assert.equal(seen, String(i), 'a committed write is visible to the claim that follows it');
            outcomes.add('write first');
          } else {
            assert.ok(write.reason instanceof FencedError);
            assert.equal(seen, String(i - 1));
            assert.equal(await minute(other, 'channel', '100'), i - 1);
            // the new owner writes what the fenced one could not
            await other.setChannelMinutesFenced([row(i)], token(epoch), String(i));
            outcomes.add('fenced');
          }
        }
        assert.equal(await minute(store, 'user', 'u1'), 21);
        assert.ok(outcomes.size >= 1);
      } finally {
        await drop();
      }
    });
  });
}
