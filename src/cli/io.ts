/**
 * The terminal a CLI command talks to: where it prints, which environment it reads, and its exit status. The `live-ccv`
 * process uses its own; tests run commands in-process against a captured one (runCli), which is why commands never
 * touch process.stdout, process.env or process.exit directly.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** whether stderr is a terminal (progress bars only then) */
  isTTY: boolean;
  exitCode: number;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: Boolean(process.stderr.isTTY),
    exitCode: 0,
  };
}

const own = processIo();
// Each run's terminal follows its async work, so commands run concurrently in one process (tests) stay apart.
const storage = new AsyncLocalStorage<CliIo>();

export const io = (): CliIo => storage.getStore() ?? own;

/** Runs work with `terminal` as the terminal of everything it does. */
export function withIo<T>(terminal: CliIo, work: () => Promise<T>): Promise<T> {
  return storage.run(terminal, work);
}
