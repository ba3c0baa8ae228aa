/** How CLI commands print: aligned tables for people, --json for scripts, one-line errors. */
import type { Command } from 'commander';
import { io } from './io.js';

export type Row = Record<string, unknown>;
export interface Column {
  key: string;
  title?: string;
  format?: (value: unknown, row: Row) => string;
}

const cell = (v: unknown): string =>
  v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);

export function table(rows: readonly Row[], columns: readonly Column[]): string {
  if (rows.length === 0) return '(none)';
  const head = columns.map((c) => c.title ?? c.key);
  const body = rows.map((r) => columns.map((c) => (c.format ? c.format(r[c.key], r) : cell(r[c.key]))));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** One record as `key: value` lines. */
export function record(row: Row): string {
  const width = Math.max(...Object.keys(row).map((k) => k.length));
  return Object.entries(row)
    .map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}`)
    .join('\n');
}

export function out(text: string): void {
  io().out(`${text}\n`);
}

/** Prints data as JSON when asked, else in its human form. */
export function emit(json: boolean | undefined, data: unknown, human: () => string): void {
  out(json ? JSON.stringify(data, null, 2) : human());
}

export const isoTime = (ms: unknown) => (typeof ms === 'number' ? new Date(ms).toISOString() : cell(ms));

/**
 * Commander's own usage errors, shaped like every other failure: one `live-ccv: <message>` line on
 * stderr and a non-zero exit. Subcommands created after this call inherit it.
 */
export function oneLineErrors(cmd: Command): Command {
  return cmd
    .showHelpAfterError(false)
    .configureOutput({ outputError: (s, write) => write(`live-ccv: ${s.replace(/^error: /, '')}`) });
}

export interface JsonFlag {
  json?: boolean;
}
export function jsonFlag(cmd: Command): Command {
  return cmd.option('--json', 'print JSON instead of a table');
}
