/** The real `live-ccv serve` as a child process on a free port, for tests that need a running server. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Served {
  child: ChildProcess;
  url: string;
  /** everything the process wrote so far, stdout and stderr interleaved */
  output(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

/** Starts `live-ccv serve` with only the given LIVE_CCV_* settings (none inherited) and waits until it listens. */
export async function serve(env: Record<string, string>, waitFor: RegExp[] = []): Promise<Served> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVE_CCV_')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // JSON ends the URL with a quote, pretty with the end of the line
  const listening = /listening at (http:\/\/127\.0\.0\.1:\d+)(?=["\s])/;
  const deadline = Date.now() + 30_000;
  while (![listening, ...waitFor].every((r) => r.test(out))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`live-ccv serve did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url: listening.exec(out)![1]!,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
