// Wall time of each test file's process, for CONTRIBUTING.md's test timing notes.
//   LIVE_CCV_FILE_CLOCK=/tmp/times.jsonl NODE_OPTIONS="--import $PWD/scripts/file-clock.mjs" npm test
//   node scripts/file-clock.mjs /tmp/times.jsonl     (prints the longest files, with when each ran)
// As a preload it records nothing but the processes of test files (not the servers they start).
import fs from 'node:fs';

const out = process.env.LIVE_CCV_FILE_CLOCK;
const file = process.argv[1] ?? '';
if (out && /\.test\.[jt]s$/.test(file)) {
  const start = performance.timeOrigin;
  process.on('exit', () => fs.appendFileSync(out, `${JSON.stringify({ file, start, end: Date.now() })}\n`));
} else if (file.endsWith('file-clock.mjs') && process.argv[2]) {
  const rows = fs
    .readFileSync(process.argv[2], 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const t0 = Math.min(...rows.map((r) => r.start));
  const t1 = Math.max(...rows.map((r) => r.end));
  const s = (ms) => (ms / 1000).toFixed(1);
  const sum = rows.reduce((n, r) => n + r.end - r.start, 0);
  process.stdout.write(`${rows.length} files, first start to last exit ${s(t1 - t0)} s, sum of file times ${s(sum)} s\n`);
  for (const r of rows.sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, Number(process.argv[3] ?? 10))) {
    process.stdout.write(`${s(r.end - r.start).padStart(6)} s  (${s(r.start - t0)}..${s(r.end - t0)})  ${r.file}\n`);
  }
}
