// Regenerates examples/ccv-sample.csv: two days of per-minute CCV of the demo channel 1000001 in
// August 2021, pull types cdn and rtc. Deterministic (seeded), so the documented peaks stay true:
//   cdn 2888 at 2021-08-17 10:14 +08:00 (statAt 1629166440000), rtc 436 at 2021-08-18 20:31 +08:00.
// Usage: node examples/generate-ccv-sample.mjs > examples/ccv-sample.csv
const CHANNEL = '1000001';

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20210817);

/**
 * A show's audience: viewers arrive over the first ~20 minutes, drift down slowly while it runs, and
 * leave within minutes of the end. The peak minute is pinned to exactly `peak`, every other minute is
 * kept below it, so the earliest (and only) peak minute is known.
 */
function show({ day, from, to, peakAt, peak, noise }) {
  const at = (hhmm) => Date.parse(`${day}T${hhmm}:00+08:00`);
  const start = at(from);
  const end = at(to);
  const top = at(peakAt);
  const rows = [];
  for (let t = start, i = 0; t < end; t += 60_000, i++) {
    const left = (end - t) / 60_000;
    const arrive = 1 / (1 + Math.exp(-(i - 9) / 3));
    const drift = 1 - 0.25 * Math.min(1, Math.abs(t - top) / (end - start));
    const leave = Math.min(1, left / 6);
    let v = Math.round(peak * 0.93 * arrive * drift * leave * (1 + (rand() - 0.5) * noise));
    if (t === top) v = peak;
    else v = Math.max(1, Math.min(v, peak - 1 - Math.floor(rand() * 25)));
    rows.push([t, v]);
  }
  return rows;
}

const shows = [
  { pullType: 'cdn', day: '2021-08-17', from: '09:30', to: '12:00', peakAt: '10:14', peak: 2888, noise: 0.06 },
  { pullType: 'rtc', day: '2021-08-17', from: '09:30', to: '12:00', peakAt: '10:40', peak: 301, noise: 0.12 },
  { pullType: 'cdn', day: '2021-08-18', from: '19:30', to: '22:00', peakAt: '20:26', peak: 2617, noise: 0.06 },
  { pullType: 'rtc', day: '2021-08-18', from: '19:30', to: '22:00', peakAt: '20:31', peak: 436, noise: 0.12 },
];

const lines = ['channelId,pullType,minute,ccv'];
for (const s of shows) {
  for (const [t, v] of show(s)) {
    const local = new Date(t + 8 * 3600_000).toISOString().slice(0, 16);
    lines.push(`${CHANNEL},${s.pullType},${local}:00+08:00,${v}`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
