import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeValues, encodeValues } from '../src/store/day-curve.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { tempDir } from './helpers.js';

test('day curves encode in the narrowest width and decode to the same values', () => {
  assert.ok(decodeValues(encodeValues([0, 255, 3])) instanceof Uint8Array);
  assert.ok(decodeValues(encodeValues([256, 1])) instanceof Uint16Array);
  assert.ok(decodeValues(encodeValues([65_536])) instanceof Uint32Array);
  assert.equal(encodeValues([1, 2, 3]).byteLength, 4 + 3);
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 1440 }), (values) => {
      assert.deepEqual([...decodeValues(encodeValues(values))], values);
      // a copy at an odd offset (as a pooled Buffer may be) decodes the same
      const bytes = encodeValues(values);
      const shifted = Buffer.alloc(bytes.byteLength + 1).subarray(1);
      bytes.copy(shifted);
      assert.deepEqual([...decodeValues(shifted)], values);
    }),
  );
  assert.throws(() => decodeValues(Buffer.from([3, 0, 0, 0, 1])), /corrupt day curve/);
});

test("the SQLite store's in-memory copies never go stale: own writes at once, other processes' within 10 ms", async () => {
  const file = path.join(tempDir(), 'store.sqlite');
  const reader = new SqliteStore(file);
  const writer = new SqliteStore(file);
  try {
    const app = await reader.createApp({ appId: 'a', appSecret: 'secret-secret-secret', name: 'a' });
    await reader.addUser(app.appId, 'u');
    await reader.addChannel('u', '1');
    const m = 28_000_000;
    const read = async () => (await reader.readCurves('user', ['u'], m - 10, m + 10)).map((s) => [s.start, Array.from(s.values)]);
    assert.deepEqual(await read(), []);
    await reader.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: m, ccv: 5 }]);
    assert.deepEqual(await read(), [[m, [5]]]);
    // a write through another connection (a CLI import, another process) is seen within 10 ms
    const settle = () => new Promise((r) => setTimeout(r, 15));
    await writer.setChannelMinutes([{ channelId: '1', pullType: 'cdn', minute: m + 1, ccv: 300 }]);
    await settle();
    assert.deepEqual(await read(), [[m, [5, 300]]]);
    await writer.removeChannel('1');
    await settle();
    assert.deepEqual(await read(), []);
    // so is a secret rotated by another process
    assert.equal((await reader.getApp('a'))?.appSecret, 'secret-secret-secret');
    await writer.updateApp('a', { appSecret: 'rotated-rotated-rotated' });
    await settle();
    assert.equal((await reader.getApp('a'))?.appSecret, 'rotated-rotated-rotated');
    const uncached = new SqliteStore(file, { cacheBytes: 0 });
    assert.deepEqual(await uncached.readCurves('channel', ['1'], m - 10, m + 10).then((s) => s.length), 1);
    await uncached.close();
  } finally {
    await reader.close();
    await writer.close();
  }
});
