// Wall and CPU time of each test file's process, for CONTRIBUTING.md's test timing notes. The CPU counts the file's
// process and the children it waited for (the servers and CLIs it started; Linux, /proc).
//   LIVE_CCV_FILE_CLOCK=/tmp/times.jsonl NODE_OPTIONS="--import $PWD/scripts/file-clock.mjs" npm test
//   node scripts/file-clock.mjs /tmp/times.jsonl     (prints the longest files, with when each ran)
// As a preload it records nothing but the processes of test files (not the servers they start).
import fs from 'node:fs';

const out = process.env.LIVE_CCV_FILE_CLOCK;
const file = process.argv[1] ?? '';
if (out && /\.test\.[jt]s$/.test(file)) {
  const start = performance.timeOrigin;
  process.on('exit', () => {
    // utime, stime, cutime, cstime in clock ticks (USER_HZ, 100 on Linux)
    const ticks = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
    const cpu = ticks.reduce((a, b) => a + b, 0) * 10;
    fs.appendFileSync(out, `${JSON.stringify({ file, start, end: Date.now(), cpu })}\n`);
  });
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
  const cpu = rows.reduce((n, r) => n + r.cpu, 0);
  process.stdout.write(
    `${rows.length} files, first start to last exit ${s(t1 - t0)} s, sum of file times ${s(sum)} s, of their CPU ${s(cpu)} s\n`,
  );
  for (const r of rows.sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, Number(process.argv[3] ?? 10))) {
    const name = r.file.replace(/^.*\.test-build\/\d+\//, '');
    process.stdout.write(
      `${s(r.end - r.start).padStart(6)} s  CPU ${s(r.cpu).padStart(5)} s  (${s(r.start - t0)}..${s(r.end - t0)})  ${name}\n`,
    );
  }
}
