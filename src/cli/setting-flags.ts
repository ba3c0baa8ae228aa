/** The service's settings as command flags, and the configuration a command's flags and the environment give. */
import type { Command } from 'commander';
import { kebab, loadConfig, settings, type SettingName } from '../config/config.js';
import { io } from './io.js';

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
  return loadConfig(io().env, overrides);
}
