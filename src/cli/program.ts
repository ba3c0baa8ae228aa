import { Command } from 'commander';
import { registerApps, registerChannels, registerUsers } from './admin-commands.js';
import { registerCall } from './call-command.js';
import { registerImport } from './import-command.js';
import { registerSecrets } from './secrets-command.js';
import { registerSimulate } from './simulate.js';
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
  registerSecrets,
];

export function buildProgram(): Command {
  const program = new Command('live-ccv')
    .description('Concurrent-viewer metering for live streaming, wire-compatible with POLYV v3')
    // usage errors stay one line, like every other error of the CLI
    .configureOutput({ outputError: (text, write) => write(`live-ccv: ${text.replace(/^error: /, '')}`) });
  for (const register of registrars) register(program);
  return program;
}
