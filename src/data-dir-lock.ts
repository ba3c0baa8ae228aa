/**
 * One writer per data dir. Two servers on one LIVE_CCV_DATA_DIR would each replay and flush the same
 * heartbeat log and overwrite each other's minutes (5 viewers stored as 2), so `serve` holds this lock for
 * its whole life and a second one refuses to start with one line naming the holder.
 *
 * The lock is SQLite's own file lock (POSIX advisory locks, the ones SQLite trusts for its databases) on a
 * small database of its own, `live-ccv.lock`, held in EXCLUSIVE locking mode: the operating system drops
 * it when the process exits for any reason, SIGKILL included, so there is never a stale lock to clean up.
 * It is a separate file from the store, so CLI imports and admin commands keep working next to a server.
 * The holder's pid and start time go to `live-ccv.lock.owner` (plain text) for the refusal message only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'live-ccv.lock';
const OWNER_FILE = 'live-ccv.lock.owner';

export class DataDirInUseError extends Error {
  constructor(dataDir: string, owner: string | undefined) {
    super(
      `data dir ${path.resolve(dataDir)} is in use by another live-ccv server${owner ? ` (${owner})` : ''}; ` +
        'one process writes a data dir at a time (stop it, or give this one its own LIVE_CCV_DATA_DIR)',
    );
    this.name = 'DataDirInUseError';
  }
}

export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly ownerFile: string,
  ) {}

  /** Takes the lock or throws DataDirInUseError at once (it never waits). */
  static acquire(dataDir: string): DataDirLock {
    fs.mkdirSync(dataDir, { recursive: true });
    const ownerFile = path.join(dataDir, OWNER_FILE);
    const db = new Database(path.join(dataDir, LOCK_FILE), { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = MEMORY');
      // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until close.
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER, since INTEGER); DELETE FROM holder;');
      db.prepare('INSERT INTO holder VALUES (?, ?)').run(process.pid, Date.now());
      db.exec('COMMIT');
    } catch (e) {
      db.close();
      const code = String((e as { code?: unknown }).code ?? '');
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new DataDirInUseError(dataDir, readOwner(ownerFile));
      }
      throw e;
    }
    try {
      fs.writeFileSync(ownerFile, `pid ${process.pid} on ${os.hostname()}, started ${new Date().toISOString()}\n`);
    } catch {
      // informational only: the lock itself is held
    }
    return new DataDirLock(db, ownerFile);
  }

  release(): void {
    if (!this.db.open) return;
    fs.rmSync(this.ownerFile, { force: true });
    this.db.close();
  }
}

function readOwner(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
