/**
 * `live-ccv import ccv FILE`: streams per-minute channel CCV from a CSV or NDJSON file into the store, or
 * through a running server's admin API (`--base-url`).
 * Rows set values, so a second import of the same file changes nothing; bad rows are reported by line
 * number while the good ones load, and any bad row makes the exit status non-zero.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import type { ImportFormat, ImportResult } from '../service/import-ccv.js';
import { backendFlags, withAdmin } from './admin-backend.js';
import { registerImportPolyv } from './import-polyv.js';
import { io } from './io.js';
import { emit, jsonFlag, oneLineErrors, type JsonFlag } from './output.js';
import { settingFlags } from './setting-flags.js';

/** Below this size an import is over before a bar would be worth drawing. */
const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
const SHOW_REJECTED = 20;
const CHUNK_BYTES = 1 << 20;

function openFile(file: string): { stream: fs.ReadStream; size: number } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e)}`,
    );
  }
  if (!stat.isFile()) throw new Error(`cannot read ${file}: not a regular file`);
  // Large chunks decoded as UTF-8 (a character split across chunks is kept whole): the importer parses the
  // text in place, so fewer, larger chunks cost less than a line-by-line reader.
  return { stream: fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, encoding: 'utf8' }), size: stat.size };
}

export function report(file: string, r: ImportResult): string {
  const lines = [`${file}: ${r.accepted} rows imported, ${r.rejected.length} rejected`];
  for (const { line, reason } of r.rejected.slice(0, SHOW_REJECTED)) lines.push(`  line ${line}: ${reason}`);
  if (r.rejected.length > SHOW_REJECTED)
    lines.push(`  ... and ${r.rejected.length - SHOW_REJECTED} more (--json lists them all)`);
  return lines.join('\n');
}

export function registerImport(program: Command): void {
  const group = oneLineErrors(program.command('import').description('load data into the store'));
  registerImportPolyv(group);
  const cmd = group
    .command('ccv <file>')
    .description('import per-minute channel CCV rows channelId,pullType,minute,ccv (CSV with optional header, or NDJSON)')
    .addOption(new Option('--format <format>', 'file format (default: detected from the first line)').choices(['csv', 'ndjson']));
  jsonFlag(settingFlags(backendFlags(cmd), ['timeZone', 'pullTypes']));
  cmd.action(async (file: string, opts: JsonFlag & { format?: ImportFormat } & Record<string, unknown>) => {
    const { stream, size } = openFile(file);
    const result = await withAdmin(opts, async (admin) => {
      const bar =
        size >= PROGRESS_MIN_BYTES && io().isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: 'importing |{bar}| {percentage}% of {mb} MB, line {line}',
              hideCursor: true,
            })
          : undefined;
      bar?.start(size, 0, { mb: (size / 1048576).toFixed(1), line: 0 });
      try {
        return await admin.importText(stream as AsyncIterable<string>, {
          format: opts.format,
          onProgress: (line) => bar?.update(stream.bytesRead, { line }),
        });
      } finally {
        bar?.update(size);
        bar?.stop();
        stream.destroy();
      }
    });
    emit(opts.json, result, () => report(file, result));
    if (result.rejected.length > 0) {
      throw new Error(`${result.rejected.length} row(s) of ${file} rejected (the other ${result.accepted} were imported)`);
    }
  });
}
