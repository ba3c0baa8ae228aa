import { Command } from 'commander';
import { io } from './io.js';
import { registerApps, registerChannels, registerUsers } from './admin-commands.js';
import { registerCall } from './call-command.js';
import { registerCompare } from './compare.js';
import { registerImport } from './import-command.js';
import { registerSecrets } from './secrets-command.js';
import { registerSimulate } from './simulate.js';
import { version } from '../version.js';
import { configFrom, settingFlags } from './setting-flags.js';

/** Each command group lives in its own module and registers itself here. */
const registrars: ((program: Command) => void)[] = [
  (program) =>
    settingFlags(program.command('serve').description('run the service')).action(async (opts: Record<string, unknown>) => {
      const config = configFrom(opts);
      // loaded on demand: the other commands start faster without the HTTP stack
      const { runServer } = await import('../server.js');
      await runServer(config);
    }),
  registerApps,
  registerUsers,
  registerChannels,
  registerImport,
  registerCall,
  registerSimulate,
  registerCompare,
  registerSecrets,
];

export function buildProgram(): Command {
  const program = new Command('live-ccv')
    .description('Concurrent-viewer metering for live streaming, wire-compatible with POLYV v3')
    .version(version, '-V, --version', 'print the version and exit')
    // errors and help reach the caller through the CLI's terminal, never process.exit (subcommands inherit this)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io().out(text),
      writeErr: (text) => io().err(text),
      // usage errors stay one line, like every other error of the CLI
      outputError: (text, write) => write(`live-ccv: ${text.replace(/^error: /, '')}`),
    });
  for (const register of registrars) register(program);
  return program;
}
