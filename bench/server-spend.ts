/**
 * What a server spent between two readings of its /metrics (prom-client's default process and GC metrics): the
 * CPU of the whole process (main thread, V8's threads, query threads) and the collector's pauses by kind. A
 * latency bench reads them around its timed calls, so a figure says what the calls cost the server, apart from
 * how long the client waited.
 */

import { samples } from '../test/prometheus-text.js';

export interface ServerSpend {
  /** process CPU (user + system), ms */
  cpuMs: number;
  /** per kind of collection (minor: young generation; major: full; incremental: marking steps), count and ms */
  gc: Record<string, { count: number; ms: number }>;
}

const GC = 'live_ccv_nodejs_gc_duration_seconds';

function reading(text: string): { cpu: number; gc: Map<string, { count: number; sum: number }> } {
  let cpu: number | undefined;
  const gc = new Map<string, { count: number; sum: number }>();
  for (const { name, labels, value } of samples(text)) {
    if (name === 'live_ccv_process_cpu_seconds_total') cpu = value;
    if (name !== `${GC}_sum` && name !== `${GC}_count`) continue;
    const g = gc.get(labels.kind!) ?? { count: 0, sum: 0 };
    if (name === `${GC}_sum`) g.sum = value;
    else g.count = value;
    gc.set(labels.kind!, g);
  }
  if (cpu === undefined) throw new Error('the server /metrics has no live_ccv_process_cpu_seconds_total');
  return { cpu, gc };
}

export function serverSpend(before: string, after: string): ServerSpend {
  const a = reading(before);
  const b = reading(after);
  const gc: ServerSpend['gc'] = {};
  for (const [kind, end] of b.gc) {
    const start = a.gc.get(kind) ?? { count: 0, sum: 0 };
    if (end.count > start.count) gc[kind] = { count: end.count - start.count, ms: (end.sum - start.sum) * 1000 };
  }
  return { cpuMs: (b.cpu - a.cpu) * 1000, gc };
}

/** One line: CPU per call and the collections, e.g. "CPU 3.10 ms per POST; collections: minor 35 (36 ms)". */
export function describeSpend(spend: ServerSpend, calls: number, what: string): string {
  const gc = Object.entries(spend.gc)
    .map(([kind, g]) => `${kind} ${g.count} (${g.ms.toFixed(1)} ms)`)
    .join(', ');
  return `CPU ${(spend.cpuMs / calls).toFixed(2)} ms per ${what}; collections: ${gc || 'none'}`;
}
