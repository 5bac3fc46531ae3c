import { rmSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { StoreError, StoreErrorCode } from './errors.js';
import { LockFile } from './lock-file.js';
import { checkSchema, migrate, newerSchemaError, SCHEMA_VERSION } from './schema.js';

export interface DatabaseOptions {
  /** run `PRAGMA quick_check` before opening for writing (O(file size): ~0.2-0.3 s for a 66 MB file here); default true */
  integrityCheck?: boolean;
  /** page cache size in KiB; default 8 MiB (a larger cache bought no throughput in the bench, only RSS) */
  cacheKiB?: number;
}

/** An open, migrated database plus the lock that makes it ours. */
export interface OpenDatabase {
  readonly db: BetterSqlite3.Database;
  readonly file: string;
  readonly lock: LockFile;
}

const SQLITE_MAGIC = 'SQLite format 3\0';
const HEADER_SIZE = 100;
/** offset of the big-endian user_version in the database header */
const USER_VERSION_OFFSET = 60;

/**
 * Open `<dataDir>/warren.db` for writing, holding `<dataDir>/warren.lock` for as long as it is open.
 *
 * Nothing is written until the file has been checked read-only: a file that is not SQLite, not
 * Warren's, corrupt, or of a newer schema makes this throw a StoreError and leaves the file's
 * bytes as they were.
 */
export function openDatabase(dataDir: string, options: DatabaseOptions = {}): OpenDatabase {
  mkdirSync(dataDir, { recursive: true });
  const lock = LockFile.acquire(dataDir);
  const file = join(dataDir, 'warren.db');
  let db: BetterSqlite3.Database | undefined;
  try {
    preflight(file, options.integrityCheck ?? true);
    db = new Sqlite(file);
    db.pragma('journal_mode = WAL');
    // FULL: a commit is fsynced before COMMIT returns, so commit callbacks may confirm.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = OFF');
    db.pragma(`cache_size = -${options.cacheKiB ?? 8192}`);
    db.pragma('temp_store = MEMORY');
    db.pragma('busy_timeout = 5000');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    migrate(db, file);
    return { db, file, lock };
  } catch (err) {
    db?.close();
    lock.release();
    throw err;
  }
}

/** Read-only checks of an existing file; throws StoreError, never writes the database file. */
function preflight(file: string, integrityCheck: boolean): void {
  if (!existsSync(file) || statSync(file).size === 0) return;
  const header = readHeader(file);
  if (header.length < HEADER_SIZE || header.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw corrupt(file, 'file is not a database');
  }
  // With no WAL beside it the header is current: refuse a newer schema without opening SQLite at all.
  const version = header.readUInt32BE(USER_VERSION_OFFSET);
  const walFile = `${file}-wal`;
  const walEmpty = !existsSync(walFile) || statSync(walFile).size === 0;
  if (walEmpty && version > SCHEMA_VERSION) throw newerSchemaError(file, version);

  // Opening read-only may still create the -wal and -shm side files: remove any we created if
  // the file is refused, so a refused data directory is left exactly as it was.
  const created = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  let ro: BetterSqlite3.Database | undefined;
  try {
    ro = new Sqlite(file, { readonly: true, fileMustExist: true });
    const userVersion = ro.pragma('user_version', { simple: true }) as number;
    const applicationId = ro.pragma('application_id', { simple: true }) as number;
    const tables = ro.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").pluck().get() as number;
    checkSchema(file, userVersion, applicationId, tables);
    if (integrityCheck) {
      const problems = (ro.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check);
      if (problems.length !== 1 || problems[0] !== 'ok') throw corrupt(file, problems.join('; '));
    }
  } catch (err) {
    ro?.close();
    ro = undefined;
    for (const f of created) rmSync(f, { force: true });
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) throw corrupt(file, (err as Error).message, err);
    throw err;
  } finally {
    ro?.close();
  }
}

function readHeader(file: string): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, HEADER_SIZE, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function corrupt(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    StoreErrorCode.Corrupt,
    `database ${file} is not a valid Warren database or is corrupt (${detail}); refusing to start ` +
      '(the file was left untouched: restore a backup or move it away)',
    cause === undefined ? undefined : { cause },
  );
}
