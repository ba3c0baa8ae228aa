import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IngestService } from '../src/ingest/ingest-service.js';
import { fixture, tempStore, testConfig, type Fixture } from './helpers.js';
import { call, PATHS } from './family-helpers.js';

describe('realtime-concurrence with the real heartbeat ingest', () => {
  let f: Fixture;
  let ingest: IngestService;
  before(async () => {
    const store = tempStore();
    ingest = await IngestService.open(testConfig(), store, { timers: false });
    f = await fixture({ users: { u1: ['100', '101'], u2: ['200'] }, deps: { store, ingest } });
    const beats = [
      { channelId: '100', viewerId: 'a' },
      { channelId: '100', viewerId: 'a' },
      { channelId: '100', viewerId: 'b', pullType: 'rtc' },
      { channelId: '101', viewerId: 'a' },
      { channelId: '200', viewerId: 'c' },
    ];
    const result = await ingest.submit(beats, { scope: { kind: 'global' }, acceptTs: false });
    assert.equal(result.accepted, beats.length, JSON.stringify(result.rejected));
  });
  after(async () => {
    await ingest.stop();
    await f.close();
  });

  it("sums the distinct viewers of the user's channels now", async () => {
    const u1 = await call(f, PATHS.realtime, { userId: 'u1' });
    assert.deepEqual(u1.body, { code: 200, status: 'success', message: '', data: 3 });
    assert.equal((await call(f, PATHS.realtime, { userId: 'u1', pullType: 'cdn' })).body.data, 2);
    assert.equal((await call(f, PATHS.realtime, { userId: 'u2' })).body.data, 1);
    const csv = await call(f, PATHS.realtime, { userId: 'u1', format: 'csv' });
    assert.equal(csv.text, 'viewers\r\n3\r\n');
  });
});
