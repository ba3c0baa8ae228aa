import { kebab, settings } from './config.js';

/** The README's configuration table, generated from the settings so the two cannot disagree. */
export function configTable(): string {
  const rows = Object.entries(settings).map(([name, s]) => {
    const def = s.def === '' ? '(empty)' : `\`${s.def}\``;
    return `| \`${s.env}\` | \`--${kebab(name)}\` | ${def} | ${s.doc} |`;
  });
  return ['| variable | flag | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
