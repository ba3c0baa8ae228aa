/**
 * `npm run bench`: every figure of issue 5 as medians over repeated runs with same-run reference ratios.
 *   --size small|medium|large   datasets (comma list; default medium; large loads for minutes)
 *   --runs N                    timed runs per summary query (default 20; DuckDB uses min(N, 5), the slow SQLite GROUP BY min(N, 3))
 *   --only summary|api|ingest|scaling   phases (comma list; default all)
 *   --out FILE                  also write the report as markdown
 * Timings are printed, never asserted; disagreeing answers between engines fail the run.
 */
import fs from 'node:fs';
import os from 'node:os';
import { apiBench } from './api-bench.js';
import { SIZES, type SizeName } from './dataset.js';
import { ingestBench } from './ingest-bench.js';
import { scalingBench } from './scaling.js';
import { peakRssMiB } from './stats.js';
import { loadDataset, summaryBench } from './summary-bench.js';

const PHASES = ['summary', 'api', 'ingest', 'scaling'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  sizes: SizeName[];
  runs: number;
  phases: Set<Phase>;
  out: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { sizes: ['medium'], runs: 20, phases: new Set(PHASES), out: undefined };
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
        if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--runs must be a positive integer, got ${value}`);
        opts.runs = Number(value);
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
        throw new Error(`unknown flag ${flag} (flags: --size, --runs, --only, --out)`);
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
  const report: string[] = [];
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const section = (title: string, body: string) => {
    report.push(`### ${title}\n\n${body}\n`);
  };
  const smoke = opts.sizes.every((s) => s === 'small');
  const refRuns = Math.min(opts.runs, 5);
  log(
    `live-ccv bench: sizes ${opts.sizes.join(',')}, runs ${opts.runs}, phases ${[...opts.phases].join(',')}\nmachine: ${machine()}`,
  );
  section('Machine', machine());
  const targets: string[] = [];

  if (opts.phases.has('summary') || opts.phases.has('scaling')) {
    for (const size of opts.sizes) {
      const spec = SIZES[size];
      const t0 = Date.now();
      const loaded = await loadDataset(spec, log);
      const loadSeconds = (Date.now() - t0) / 1000;
      try {
        const head = `${spec.users} users x ${spec.channelsPerUser} channels x ${spec.days} days, ${spec.dense ? 'every minute populated' : 'sparse (a few live hours a day)'}, ${loaded.rows.toLocaleString('en-US')} non-zero minute rows; loaded in ${loadSeconds.toFixed(0)} s`;
        section(`Load: ${size}`, `${head}\n\n${loaded.loadTable}`);
        if (opts.phases.has('summary')) {
          const f = await summaryBench(loaded, opts.runs, refRuns, log);
          section(
            `Summary: ${size} (all users, all days)`,
            `${f.table}\n\nAll engines agree on every pull type's peakCCV and statAt.`,
          );
          if (size === 'medium') {
            targets.push(`medium summary p50 ${f.p50.toFixed(1)} ms < 20 ms: ${verdict(f.p50 < 20)}`);
            targets.push(`medium summary ${f.vsDuckdb.toFixed(1)}x faster than DuckDB (>= 5x): ${verdict(f.vsDuckdb >= 5)}`);
          }
        }
        if (opts.phases.has('scaling'))
          section(`Scaling: ${size}`, await scalingBench(loaded, opts.runs, Math.min(refRuns, 3), log));
      } finally {
        await loaded.close();
      }
      log(`peak RSS so far: ${peakRssMiB().toFixed(0)} MiB`);
    }
  }

  if (opts.phases.has('api')) {
    const f = await apiBench(smoke ? 1 : 5, smoke ? 2 : 4, log);
    section('Signed API throughput', f.table);
    targets.push(`signed summary throughput ${f.ratio.toFixed(2)} of /healthz (>= 0.5): ${verdict(f.ratio >= 0.5)}`);
    targets.push(
      `server CPU per request: summary costs ${(1 / f.cpuRatio).toFixed(2)}x healthz (informational: excludes the load generator)`,
    );
  }

  if (opts.phases.has('ingest')) section('Ingest', await ingestBench(smoke, log));

  const memory = `peak RSS of the bench process: ${peakRssMiB().toFixed(0)} MiB (stores, DuckDB and SQLite references share the process)`;
  section('Memory', memory);
  if (targets.length > 0) section('Targets', targets.map((t) => `- ${t}`).join('\n'));
  log(`\n${memory}\n${targets.join('\n')}`);
  if (opts.out) {
    fs.writeFileSync(opts.out, `${report.join('\n')}`);
    log(`report written to ${opts.out}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
