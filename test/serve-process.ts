/**
 * The real `live-ccv serve` as a child process for tests where processes matter (disk full, locks,
 * signals). Waits on what the process prints, never on a clock: under load a start may take long, and the
 * test runner's timeout bounds it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');
const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServeProcess {
  child: ChildProcess;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** resolves once `re` matches the stream, rejects when the process exits first */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
  /** the listening URL; rejects when the process exits without listening */
  listening(): Promise<string>;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

export function spawnServe(env: Record<string, string>, args: string[] = []): ServeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, LIVE_CCV_HOST: '127.0.0.1', LIVE_CCV_PORT: '0', LIVE_CCV_DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const waitFor = async (re: RegExp, stream: 'stdout' | 'stderr' = 'stdout') => {
    for (;;) {
      const m = re.exec(stream === 'stdout' ? out : err);
      if (m) return m;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`serve exited (${child.exitCode ?? child.signalCode}) before ${re}:\n${err}\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    listening: async () => (await waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/))[1]!,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
