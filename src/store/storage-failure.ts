/**
 * Which failures mean "the storage cannot take writes (or cannot be reached) right now" rather than a bug:
 * a full disk, an I/O error, a read-only file system, a database server that is down or restarting. Those
 * become the catalogue's 503 `storage unavailable: <reason>` with Retry-After (the client retries, nothing
 * it was told is stored is lost), every other failure stays a 500. The reason names the condition and its
 * code, never a path, SQL or a connection string.
 */

/** A storage failure already classified, thrown by the heartbeat log and the watched store. */
export class StorageUnavailableError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`storage unavailable: ${reason}`, options);
    this.name = 'StorageUnavailableError';
  }
}

/** SQLite result codes (better-sqlite3's `code`, extended codes included by prefix). */
const SQLITE: [prefix: string, reason: string][] = [
  ['SQLITE_FULL', 'disk full'],
  ['SQLITE_IOERR', 'I/O error'],
  ['SQLITE_READONLY', 'read-only'],
  ['SQLITE_CANTOPEN', 'cannot open the database file'],
  ['SQLITE_BUSY', 'database locked by another writer'],
  ['SQLITE_LOCKED', 'database locked'],
  ['SQLITE_NOLFS', 'file too large'],
];

/** errno codes of the file system and of the network to a database server. */
const ERRNO: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ECONNREFUSED: 'database server refused the connection',
  ECONNRESET: 'connection to the database server reset',
  ETIMEDOUT: 'database server timed out',
  EHOSTUNREACH: 'database server unreachable',
  ENETUNREACH: 'database server unreachable',
  ENOTFOUND: 'database server name not found',
  EAI_AGAIN: 'database server name not resolved',
  EPIPE: 'connection to the database server broken',
};

/**
 * PostgreSQL SQLSTATE classes and codes: 08 connection exception, 53 insufficient resources (53100 disk
 * full), 57P01-57P03 server shutting down or starting, 58 system error (58030 I/O).
 */
function postgresReason(code: string): string | undefined {
  if (code === '53100') return 'database disk full';
  if (code.startsWith('08')) return 'database connection failed';
  if (code.startsWith('53')) return 'database out of resources';
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'database server shutting down or starting';
  if (code.startsWith('58')) return 'database I/O error';
  return undefined;
}

/** node-postgres and ioredis report a lost or never-made connection without a code, only with these messages. */
const MESSAGES: [RegExp, string][] = [
  [/^Connection terminated/, 'connection to the database server lost'],
  [/^timeout exceeded when trying to connect/, 'database server did not answer in time'],
  [/^Client has encountered a connection error/, 'connection to the database server lost'],
  [/^Reached the max retries per request limit/, 'Redis unreachable'],
  [/^Connection is closed\.$/, 'connection to Redis closed'],
];

/** The short reason when `err` is a storage failure, undefined otherwise. */
export function storageFailureReason(err: unknown): string | undefined {
  if (err instanceof StorageUnavailableError) return err.reason;
  if (!err || typeof err !== 'object') return undefined;
  const code = String((err as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_')) {
    const hit = SQLITE.find(([prefix]) => code.startsWith(prefix));
    return hit ? `${hit[1]} (${code})` : undefined;
  }
  if (Object.hasOwn(ERRNO, code)) return `${ERRNO[code]} (${code})`;
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const reason = postgresReason(code);
    if (reason) return `${reason} (SQLSTATE ${code})`;
  }
  const message = err instanceof Error ? err.message : '';
  for (const [pattern, reason] of MESSAGES) if (pattern.test(message)) return reason;
  // net.connect to several addresses (localhost: ::1 and 127.0.0.1) fails with an AggregateError
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const reason = storageFailureReason(inner);
      if (reason) return reason;
    }
  }
  const cause = (err as { cause?: unknown }).cause;
  return cause && cause !== err ? storageFailureReason(cause) : undefined;
}

/** The error itself when it is not a storage failure, else its classified form. */
export function asStorageFailure(err: unknown): unknown {
  if (err instanceof StorageUnavailableError) return err;
  const reason = storageFailureReason(err);
  return reason === undefined ? err : new StorageUnavailableError(reason, { cause: err });
}
