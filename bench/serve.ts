/**
 * The real server for the HTTP benches: `live-ccv serve` in its own process (every role, query threads,
 * the ingest), on a data dir the bench filled, listening on 127.0.0.1 with an ephemeral port. Its log goes to
 * a file (the request-logging figure measures what writing it costs), which is also where the listening
 * address is read from. Rate limits are raised out of the way: the benches measure the server, not the limiter.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeArgs, REPO } from './node-command.js';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const INGEST_TOKEN = 'bench-ingest-token-0123456789';

export interface Served {
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

// servers never outlive the bench, even when it fails or is interrupted
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

/**
 * Settings for a smoke run's server that answers no summary: no query thread, whose start and warm-up are about
 * half of a server's start-up CPU. Measured runs keep every server as deployed.
 */
export const SMOKE_NO_QUERY_THREADS = { LIVE_CCV_QUERY_THREADS: '0' };

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), from /proc (Linux), in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** User + system CPU of a process so far, from /proc (Linux), in ms. */
export function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Starts `live-ccv serve` on dataDir (which holds live-ccv.sqlite); env adds or overrides settings. */
export async function serve(dataDir: string, env: Record<string, string> = {}, tag = 'serve'): Promise<Served> {
  const logFile = path.join(dataDir, `${tag}-${Date.now()}.log`);
  const log = fs.openSync(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), 'serve'], {
    cwd: REPO,
    env: {
      ...process.env,
      LIVE_CCV_DATA_DIR: dataDir,
      LIVE_CCV_HOST: '127.0.0.1',
      LIVE_CCV_PORT: '0',
      LIVE_CCV_DEMO: 'false',
      LIVE_CCV_LOG_LEVEL: 'info',
      LIVE_CCV_ADMIN_TOKEN: ADMIN_TOKEN,
      LIVE_CCV_INGEST_TOKEN: INGEST_TOKEN,
      LIVE_CCV_IP_LIMIT: '1000000000',
      LIVE_CCV_APP_LIMIT: '1000000000',
      LIVE_CCV_BODY_LIMIT: String(64 * 1024 * 1024),
      ...env,
    },
    stdio: ['ignore', log, 'inherit'],
  });
  fs.closeSync(log);
  children.add(child);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
    children.delete(child);
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = fs.readFileSync(logFile, 'utf8');
    const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (m) {
      return {
        url: m[1]!,
        pid: child.pid!,
        logFile,
        stop: async () => {
          if (exited !== undefined) return;
          const done = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await done;
        },
      };
    }
    if (exited !== undefined) throw new Error(`live-ccv serve exited with ${exited} before listening:\n${text}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`live-ccv serve did not listen within 60 s:\n${text}`);
    }
    await sleep(20);
  }
}
