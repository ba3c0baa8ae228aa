/** Timing and memory helpers shared by the benches: medians over repeated runs, never a single shot. */
import { performance } from 'node:perf_hooks';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Timing {
  runs: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return { runs: s.length, p50: median(s), p99: percentile(s, 99), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

/** Runs work `warmups` times to warm caches and the JIT, then `runs` timed times; returns the last result too. */
export async function timeRuns<T>(runs: number, work: () => Promise<T> | T, warmups = 2): Promise<{ timing: Timing; result: T }> {
  let result = await work();
  for (let i = 1; i < warmups; i++) result = await work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await work();
    samples.push(performance.now() - t0);
  }
  return { timing: summarize(samples), result };
}

export async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const t0 = performance.now();
  const result = await work();
  return { ms: performance.now() - t0, result };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x` : 'n/a';
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
