/**
 * The one way tests run the real `live-ccv` binary as a child process (from source, with the package's source
 * condition, the way the test itself runs: bench/node-command.ts): start it with a settings environment, wait until it answers /healthz (so its signal handlers are in
 * place and the test never races its start-up), and stop it with a signal. Every child still running when the test
 * file ends is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { nodeArgs, REPO } from '../bench/node-command.js';

const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServerProcess extends CliProcess {
  url: string;
  /** sends the signal and waits for the exit */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface CliProcess {
  child: ChildProcess;
  /** everything the process printed so far, stdout and stderr interleaved */
  output(): string;
  /** stdout alone (the JSON log of `serve`) */
  stdout(): string;
  /** stderr alone (the start banner, one-line errors) */
  stderr(): string;
  /** resolves once `re` matches the output (or one stream of it); rejects when the process exits first */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
}

/**
 * Runs `live-ccv <args>` (from source) and returns the child with its captured output and exit. Servers start no query
 * thread (LIVE_CCV_QUERY_THREADS=0) unless `env` asks for one: a thread and its warm-up cost about as much CPU again
 * as the rest of the start, and few of these tests ask for a summary. The threaded path is covered in process
 * (test/query-thread.test.ts and the store tests), in test/simulate-e2e.test.ts and by the bench smoke's servers.
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeFlags, ...nodeArgs('src/cli/main.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, LIVE_CCV_QUERY_THREADS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const streams = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]!.on('data', (d: Buffer) => {
      out += d.toString();
      streams[name] += d.toString();
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const waitFor = async (re: RegExp, stream?: 'stdout' | 'stderr') => {
    for (;;) {
      const m = re.exec(stream ? streams[stream] : out);
      if (m) return m;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`live-ccv exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, output: () => out, stdout: () => streams.stdout, stderr: () => streams.stderr, waitFor, exited };
}

const LISTENING = /listening at (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts `live-ccv serve` on 127.0.0.1 and a free port; resolves once it answers /healthz. `nodeFlags` go to node
 * before the entry point (V8's tracing flags, say).
 */
export async function spawnServer(
  env: Record<string, string> = {},
  args: string[] = [],
  timeoutMs = 30_000,
  nodeFlags: string[] = [],
): Promise<ServerProcess> {
  const p = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args], env, nodeFlags);
  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  for (;;) {
    if (p.child.exitCode !== null || Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`live-ccv serve did not start (exit ${p.child.exitCode}):\n${p.output()}`);
    }
    url ??= LISTENING.exec(p.output())?.[1];
    if (url) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ...p,
    url,
    stop: (signal = 'SIGTERM') => {
      p.child.kill(signal);
      return p.exited;
    },
  };
}
