/** Runs one `live-ccv` command line to its exit status: the process's entry point and the tests' in-process runner. */
import { CommanderError } from 'commander';
import { io, processIo, withIo, type CliIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * Parses and runs `argv` (the words after `live-ccv`). Failures print one line `live-ccv: <message>` and give exit
 * status 1; commander's usage errors have printed their line already. Without `terminal` the command uses the
 * process's own, outside any async context: an AsyncLocalStorage in use makes every promise of the process pay its
 * hooks, which a server's every request would (tests pass a terminal and run commands side by side in one process).
 */
export async function runCli(argv: readonly string[], terminal?: Partial<CliIo>): Promise<number> {
  if (!terminal) return run(argv);
  return withIo({ ...processIo(), ...terminal, exitCode: 0 }, () => run(argv));
}

async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return io().exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io().err(`live-ccv: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
