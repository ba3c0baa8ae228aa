/** verify --wait's progress: lines in logs when the count moves (or every 10 s), a bar on a terminal. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { waitProgress } from '../src/cli/wait-progress.js';

function capture(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; cursorTo?: unknown };
  stream.isTTY = isTTY;
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

test('without a terminal: a line when the matching count changes, at least every 10 s, none once all match', () => {
  const out = capture(false);
  const clock = { now: 0 };
  const p = waitProgress({ write: (t) => out.stream.write(t), isTTY: false, timeoutMs: 180_000, now: () => clock.now });
  p.poll({ matched: 2, mismatches: 4 });
  clock.now = 1_000;
  p.poll({ matched: 2, mismatches: 4 }); // unchanged, 1 s later: quiet
  clock.now = 2_000;
  p.poll({ matched: 5, mismatches: 1 });
  clock.now = 12_500;
  p.poll({ matched: 5, mismatches: 1 }); // unchanged but 10 s quiet: a line
  p.poll({ matched: 6, mismatches: 0 }); // done: the final report says it
  p.stop();
  assert.equal(
    out.text(),
    [
      'verify: waiting: 2 of 6 minute cells match (0 s of 180 s)',
      'verify: waiting: 5 of 6 minute cells match (2 s of 180 s)',
      'verify: waiting: 5 of 6 minute cells match (13 s of 180 s)',
      '',
    ].join('\n'),
  );
});

test('on a terminal: a bar of matching cells with the time waited', () => {
  const out = capture(true);
  const p = waitProgress({
    write: () => assert.fail('a bar, not lines'),
    isTTY: true,
    barStream: out.stream,
    timeoutMs: 60_000,
    now: () => 0,
  });
  p.poll({ matched: 3, mismatches: 1 });
  p.stop();
  assert.match(out.text(), /verify \|.*\| 3\/4 minute cells match \| waited 0 s of 60 s/);
});
