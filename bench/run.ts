/**
 * `npm run bench`: the engine's figures as medians with same-run reference ratios (docs/benchmarks.md).
 *   --size small|medium|large   datasets (comma list; default medium,large)
 *   --runs N                    timed warm runs per summary query (default 20; DuckDB min(N, 5))
 *   --cold-runs N               server restarts per summary query for the cold figure (default 3)
 *   --only summary|api|ingest|import|push|scaling   phases (comma list; default all but push and scaling; push:
 *                               the import phase's CDN push section alone)
 *   --out FILE                  also write the report as markdown
 * Timings are printed, never asserted; disagreeing answers between engines fail the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import { apiBench } from './api-bench.js';
import { SIZES, type SizeName } from './dataset.js';
import { importBench, pushOnlyBench } from './import-bench.js';
import { ingestUnderLoad } from './ingest-load.js';
import { ingestBench } from './ingest-bench.js';
import { scalingBench } from './scaling.js';
import { fmtInt, peakRssMiB } from './stats.js';
import { loadDataset, summaryBench } from './summary-bench.js';

const PHASES = ['summary', 'api', 'ingest', 'import', 'push', 'scaling'] as const;
type Phase = (typeof PHASES)[number];
const DEFAULT_PHASES: Phase[] = ['summary', 'api', 'ingest', 'import'];

interface Options {
  sizes: SizeName[];
  runs: number;
  coldRuns: number;
  phases: Set<Phase>;
  out: string | undefined;
}

function positive(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`${flag} must be a positive integer, got ${value}`);
  return Number(value);
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { sizes: ['medium', 'large'], runs: 20, coldRuns: 3, phases: new Set(DEFAULT_PHASES), out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    i++;
    const list = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    switch (flag) {
      case '--size':
        for (const s of list) if (!(s in SIZES)) throw new Error(`--size must be small, medium or large, got ${s}`);
        opts.sizes = list as SizeName[];
        break;
      case '--runs':
        opts.runs = positive(flag, value);
        break;
      case '--cold-runs':
        opts.coldRuns = positive(flag, value);
        break;
      case '--only':
        for (const p of list)
          if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only must be among ${PHASES.join(', ')}, got ${p}`);
        opts.phases = new Set(list as Phase[]);
        break;
      case '--out':
        opts.out = value;
        break;
      default:
        throw new Error(`unknown flag ${flag} (flags: --size, --runs, --cold-runs, --only, --out)`);
    }
  }
  return opts;
}

function machine(): string {
  const cpus = os.cpus();
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown cpu'}), ${gib(os.totalmem())} RAM (${gib(os.freemem())} free), node ${process.version}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const report: string[] = [];
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const section = (title: string, body: string) => {
    report.push(`### ${title}\n\n${body}\n`);
  };
  const smoke = opts.sizes.every((s) => s === 'small');
  const refRuns = Math.min(opts.runs, 5);
  log(
    `live-ccv bench: sizes ${opts.sizes.join(',')}, runs ${opts.runs}, cold runs ${opts.coldRuns}, phases ${[...opts.phases].join(',')}\nmachine: ${machine()}`,
  );
  section('Machine', machine());
  const targets: string[] = [];
  /** One group of phases: its report sections and target lines, kept apart so groups may run side by side. */
  interface Part {
    sections: [string, string][];
    targets: string[];
  }
  const part = (): Part => ({ sections: [], targets: [] });

  const datasetPart = async (): Promise<Part> => {
    const out = part();
    const section = (title: string, text: string) => out.sections.push([title, text]);
    const targets = out.targets;
    const datasetPhases = ['summary', 'api', 'ingest', 'scaling'].some((p) => opts.phases.has(p as Phase));
    for (const size of datasetPhases ? opts.sizes : []) {
      const spec = SIZES[size];
      const t0 = Date.now();
      const loaded = await loadDataset(spec, log, size === 'small');
      const loadSeconds = (Date.now() - t0) / 1000;
      try {
        const head = `${spec.users} users x ${spec.days} days, ${spec.description}, ${fmtInt(loaded.rows)} non-zero minute rows; generated and loaded in ${loadSeconds.toFixed(0)} s`;
        section(`Load: ${size}`, `${head}\n\n${loaded.loadTable}`);
        if (opts.phases.has('summary')) {
          const f = await summaryBench(loaded, { runs: opts.runs, refRuns, coldRuns: opts.coldRuns }, log);
          section(`Summary: ${size}`, `${f.table}\n\nAll engines agree on every pull type's peakCCV and statAt.`);
          for (const s of f.shapes) {
            const x = s.duckdb.p50 / s.warm.p50;
            if (s.query.target) {
              targets.push(
                `${size} ${s.query.label}: warm HTTP p50 ${s.warm.p50.toFixed(2)} ms, ${x.toFixed(1)}x faster than DuckDB's warm p50 (>= 20x): ${verdict(x >= 20)}`,
              );
            }
          }
          const worstCold = f.shapes.reduce((w, s) => (s.cold.p50 / s.duckdb.p50 > w.cold.p50 / w.duckdb.p50 ? s : w));
          const c = worstCold.cold.p50 / worstCold.duckdb.p50;
          targets.push(
            `${size} cold (first call after a restart) at most DuckDB's warm p50 at every size; worst ${worstCold.query.label} at ${c.toFixed(2)}: ${verdict(c <= 1)}`,
          );
        }
        if (opts.phases.has('api') && size !== 'large') {
          const f = await apiBench(loaded, smoke ? 1 : 5, smoke ? 0.2 : 4, log);
          section('Signed API throughput', `${f.table}\n\nWorst: ${f.worst.label} at ${f.worst.ratio.toFixed(2)} of /healthz.`);
          section('Request logging', f.logTable);
          const tenByMonth = Object.entries(f.ratios).find(([label]) => label.includes('10 users x 31 days'));
          if (tenByMonth) {
            targets.push(
              `signed summary (10 users x 31 days) throughput ${tenByMonth[1].toFixed(2)} of /healthz (>= 0.3): ${verdict(tenByMonth[1] >= 0.3)}`,
            );
          }
          targets.push(`worst API size: ${f.worst.label} at ${f.worst.ratio.toFixed(2)} of /healthz (informational)`);
          targets.push(
            `request logging: every request logged gives ${f.loggingRatio.toFixed(2)} of the default's /healthz throughput (informational)`,
          );
        }
        if (opts.phases.has('ingest') && size !== 'medium') {
          const f = await ingestUnderLoad(loaded, { heartbeats: smoke ? 20_000 : 500_000, rounds: smoke ? 1 : 3 }, log);
          section(`Ingest while a client loops the heaviest summary (${size})`, f.table);
          targets.push(
            `${size}: ingest while a client loops the heaviest summary at ${f.ratio.toFixed(2)} of idle (>= 0.7): ${verdict(f.ratio >= 0.7)}`,
          );
        }
        if (opts.phases.has('scaling'))
          section(`Scaling: ${size}`, await scalingBench(loaded, opts.runs, Math.min(refRuns, 3), log));
      } finally {
        await loaded.close();
      }
      log(`peak RSS so far: ${peakRssMiB().toFixed(0)} MiB`);
    }
    return out;
  };

  const importPart = async (): Promise<Part> => {
    const out = part();
    const section = (title: string, text: string) => out.sections.push([title, text]);
    const targets = out.targets;
    let pushP99: number | undefined;
    if (opts.phases.has('import')) {
      const f = await importBench(smoke, log);
      section('Bulk import', f.table);
      section('A CDN pushing one minute of every channel, once a minute', f.pushTable);
      targets.push(
        `bulk import, slowest path and order: ${fmtInt(f.worstRate)} rows/s (>= 1,000,000): ${verdict(f.worstRate >= 1e6)}`,
      );
      pushP99 = f.pushP99;
    } else if (opts.phases.has('push')) {
      const f = await pushOnlyBench(smoke, log);
      section('A CDN pushing one minute of every channel, once a minute', f.table);
      pushP99 = f.p99;
    }
    if (pushP99 !== undefined) {
      targets.push(`CDN minute push p99 ${pushP99.toFixed(2)} ms (well under 10 ms): ${verdict(pushP99 < 10)}`);
    }
    return out;
  };

  const ingestPart = async (): Promise<Part> => {
    const out = part();
    if (opts.phases.has('ingest')) out.sections.push(['Ingest', await ingestBench(smoke, log)]);
    return out;
  };

  // The smoke run proves every phase runs end to end and the engines agree; its figures are not read, so the
  // groups that share nothing (the dataset's phases, the import, the ingest) run side by side there. Measured
  // runs keep them one after another: each figure owns the machine.
  const groups = [datasetPart, importPart, ingestPart];
  const parts = smoke ? await Promise.all(groups.map((g) => g())) : [];
  if (!smoke) for (const g of groups) parts.push(await g());
  for (const p of parts) {
    for (const [title, text] of p.sections) section(title, text);
    targets.push(...p.targets);
  }

  const memory = `peak RSS of the bench process: ${peakRssMiB().toFixed(0)} MiB (the in-process stores and DuckDB share it; servers run in their own processes)`;
  const took = `run time: ${((Date.now() - started) / 60_000).toFixed(1)} min`;
  section('Memory and run time', `${memory}\n\n${took}`);
  if (targets.length > 0) section('Targets', targets.map((t) => `- ${t}`).join('\n'));
  log(`\n${memory}\n${took}\n${targets.join('\n')}`);
  if (opts.out) {
    fs.writeFileSync(opts.out, `${report.join('\n')}`);
    log(`report written to ${opts.out}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
