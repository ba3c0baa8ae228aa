import { Command } from 'commander';
import { loadConfig, settings, kebab, type SettingName } from '../config/config.js';
import { registerApps, registerChannels, registerUsers } from './admin-commands.js';
import { registerCall } from './call-command.js';
import { registerImport } from './import-command.js';
import { registerSecrets } from './secrets-command.js';
import { registerSimulate } from './simulate.js';

/** `--port 9090` style flags for every setting, overriding the environment. */
export function settingFlags(cmd: Command, names: SettingName[] = Object.keys(settings) as SettingName[]): Command {
  for (const name of names) {
    const s = settings[name];
    cmd.option(`--${kebab(name)} <value>`, `${s.doc} (env ${s.env}, default "${s.def}")`);
  }
  return cmd;
}

/** The configuration from the environment with a command's setting flags on top. */
export function configFrom(opts: Record<string, unknown>) {
  const overrides: Record<string, string> = {};
  for (const name of Object.keys(settings)) {
    if (opts[name] !== undefined) overrides[name] = String(opts[name]);
  }
  return loadConfig(process.env, overrides);
}

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
