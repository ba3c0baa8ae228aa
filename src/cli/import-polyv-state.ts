/**
 * What `import polyv` does and how far it got. The job (source, channels, days, pull types, zone) is cut
 * into units, one channel over a run of days each; the state file lists the units done. A unit is recorded
 * only after its minutes are written, and writing a unit twice changes nothing, so a run killed at any
 * moment resumes from its state file without losing or doubling anything: at worst it redoes the units
 * that were in flight.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dayChunks, formatYmd, parseYmd } from '../domain/calendar.js';

export interface PolyvJob {
  /** base URL of the POLYV-compatible source */
  source: string;
  appId: string;
  channels: string[];
  start: string;
  end: string;
  /** the pull type asked of the source; undefined asks for its total over pull types */
  sourcePullType: string | undefined;
  /** the pull type the counts land as */
  pullType: string;
  sourceTimeZone: string;
  chunkDays: number;
}

export interface Unit {
  channelId: string;
  startDate: string;
  endDate: string;
  key: string;
}

export function planUnits(job: PolyvJob): Unit[] {
  const start = parseYmd(job.start);
  const end = parseYmd(job.end);
  if (!start || !end) throw new Error(`invalid day range ${job.start}..${job.end}`);
  const chunks = dayChunks(start, end, job.chunkDays);
  return job.channels.flatMap((channelId) =>
    chunks.map((c) => {
      const startDate = formatYmd(c.start);
      const endDate = formatYmd(c.end);
      return { channelId, startDate, endDate, key: `${channelId} ${startDate} ${endDate}` };
    }),
  );
}

interface StateFile {
  version: 1;
  job: PolyvJob;
  done: string[];
  updatedAt: string;
}

/** The fields in which two jobs differ (the secret is never part of a job: it is not written). */
function differences(a: PolyvJob, b: PolyvJob): string[] {
  const canonical = (j: PolyvJob) => ({ ...j, channels: [...j.channels].sort(), sourcePullType: j.sourcePullType ?? null });
  const x = canonical(a);
  const y = canonical(b);
  return (Object.keys(y) as (keyof PolyvJob)[]).filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

export class ImportState {
  private readonly done: Set<string>;
  private dirty = false;

  private constructor(
    readonly file: string,
    private readonly job: PolyvJob,
    done: string[],
    /** whether the file held this job's progress when the run started */
    readonly resumed: boolean,
  ) {
    this.done = new Set(done);
  }

  /**
   * The state of `job` in `file`: resumed when the file holds the same job, fresh when there is no file
   * or `restart` is given; an error naming the difference when the file holds another job.
   */
  static open(file: string, job: PolyvJob, restart: boolean): ImportState {
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read state file ${file}: ${String(e)}`);
    }
    if (text === undefined || restart) return new ImportState(file, job, [], false);
    let saved: StateFile;
    try {
      saved = JSON.parse(text) as StateFile;
    } catch {
      throw new Error(`state file ${file} is not valid JSON: remove it, or pass --restart`);
    }
    if (saved.version !== 1 || !saved.job || !Array.isArray(saved.done)) {
      throw new Error(`state file ${file} is not an import polyv state: remove it, or pass --restart`);
    }
    const fields = differences(saved.job, job);
    if (fields.length > 0) {
      throw new Error(
        `state file ${file} belongs to another import (it differs in ${fields.join(', ')}): pass --state with another file, or --restart to discard it`,
      );
    }
    return new ImportState(file, job, saved.done, true);
  }

  isDone(unit: Unit): boolean {
    return this.done.has(unit.key);
  }

  get doneCount(): number {
    return this.done.size;
  }

  markDone(unit: Unit): void {
    this.done.add(unit.key);
    this.dirty = true;
  }

  /** Writes the state atomically (a temporary file renamed over the old one), when something changed. */
  save(): void {
    if (!this.dirty && fs.existsSync(this.file)) return;
    const body: StateFile = { version: 1, job: this.job, done: [...this.done], updatedAt: new Date().toISOString() };
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, `${JSON.stringify(body)}\n`);
    fs.renameSync(tmp, this.file);
    this.dirty = false;
  }
}
