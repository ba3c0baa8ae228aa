/**
 * CSV files for the import bench: the rows of a dataset as `channelId,pullType,minute,ccv` (epoch ms), once
 * in time order (minute by minute, every channel of a minute together, as a CDN exports them) and once
 * shuffled (a seeded random permutation), so the same rows measure both orders.
 */
import fs from 'node:fs';
import { MINUTE_MS } from '../src/domain/calendar.js';
import { curves, rng, type DatasetSpec } from './dataset.js';

export interface ImportFiles {
  timeOrdered: string;
  shuffled: string;
  rows: number;
  bytes: number;
}

const HEADER = 'channelId,pullType,minute,ccv\n';
const FLUSH = 1 << 22;

/** Writes both files into dir; rows are held as typed columns while sorting (16 bytes a row). */
export function writeImportFiles(spec: DatasetSpec, dir: string): ImportFiles {
  const ids: string[] = [];
  const kinds: string[] = [];
  let n = 0;
  for (const c of curves(spec)) for (const v of c.values) if (v !== 0) n++;
  const series = new Uint32Array(n);
  const minute = new Uint32Array(n);
  const value = new Uint32Array(n);
  let i = 0;
  let first = 0;
  for (const c of curves(spec)) {
    const s = ids.length;
    ids.push(c.channelId);
    kinds.push(c.pullType);
    first = c.from;
    for (let k = 0; k < c.values.length; k++) {
      if (c.values[k] === 0) continue;
      series[i] = s;
      minute[i] = k;
      value[i] = c.values[k]!;
      i++;
    }
  }
  // time order: a stable counting sort by minute (rows of one minute stay in channel order)
  let span = 0;
  for (let k = 0; k < n; k++) span = Math.max(span, minute[k]! + 1);
  const starts = new Uint32Array(span + 1);
  for (let k = 0; k < n; k++) starts[minute[k]! + 1]!++;
  for (let m = 0; m < span; m++) starts[m + 1]! += starts[m]!;
  const byTime = new Uint32Array(n);
  for (let k = 0; k < n; k++) byTime[starts[minute[k]!]!++] = k;
  // shuffled: Fisher-Yates with a fixed seed
  const r = rng(spec.seed * 7 + 1);
  const shuffled = Uint32Array.from(byTime);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    const t = shuffled[k]!;
    shuffled[k] = shuffled[j]!;
    shuffled[j] = t;
  }
  const write = (file: string, order: Uint32Array) => {
    const fd = fs.openSync(file, 'w');
    let buf = HEADER;
    for (let k = 0; k < n; k++) {
      const row = order[k]!;
      const s = series[row]!;
      buf += `${ids[s]},${kinds[s]},${(first + minute[row]!) * MINUTE_MS},${value[row]}\n`;
      if (buf.length >= FLUSH) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
    return fs.statSync(file).size;
  };
  const timeOrdered = `${dir}/ccv-time-ordered.csv`;
  const shuffledFile = `${dir}/ccv-shuffled.csv`;
  const bytes = write(timeOrdered, byTime);
  write(shuffledFile, shuffled);
  return { timeOrdered, shuffled: shuffledFile, rows: n, bytes };
}
