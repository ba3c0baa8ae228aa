/**
 * Ingest figures come from the ingest's own bench (bench/ingest.ts, `npm run bench:ingest`):
 * run as a child process so its figures appear in `npm run bench` unchanged and it owns its method.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { nodeArgs, REPO } from './node-command.js';

const INGEST = path.join(REPO, 'bench/ingest.ts');

export async function ingestBench(smoke: boolean, log: (s: string) => void): Promise<string> {
  if (!fs.existsSync(INGEST)) {
    const note = 'ingest: bench/ingest.ts does not exist yet; heartbeats/s and memory per 100k viewers are not measured (TODO).';
    log(note);
    return note;
  }
  log(`ingest: running bench/ingest.ts${smoke ? ' --smoke' : ''} ...`);
  const args = [...nodeArgs('bench/ingest.ts'), ...(smoke ? ['--smoke'] : [])];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench/ingest.ts exited with code ${code}`))));
  });
  return output.trim();
}
