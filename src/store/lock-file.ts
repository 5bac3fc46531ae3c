import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { logger } from '../util/logger.js';
import { StoreError, StoreErrorCode } from './errors.js';

const log = logger('store.lock');

/** Lock files this process holds, by absolute path (a second open in the same process must fail). */
const held = new Set<string>();

/**
 * `<dataDir>/warren.lock`, holding the owner's pid, kept for as long as the store is open.
 *
 * A lock whose pid is not alive is stale (the owner crashed) and is taken over. A lock naming our
 * own pid that this process does not hold is stale too: in a container the broker is pid 1 after
 * every restart, so "pid is alive" alone would refuse forever after one crash.
 *
 * Limitation: two processes taking over the same stale lock at the same instant can race
 * (unlink + exclusive create is not one atomic step). Starting two brokers on one directory at
 * the same moment after a crash is the only way to hit it.
 */
export class LockFile {
  private released = false;

  private constructor(readonly path: string) {}

  static acquire(dataDir: string): LockFile {
    const path = resolve(join(dataDir, 'warren.lock'));
    if (held.has(path)) throw locked(dataDir, process.pid);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (tryCreate(path)) {
        held.add(path);
        return new LockFile(path);
      }
      const pid = readPid(path);
      if (pid !== undefined && pid !== process.pid && isAlive(pid)) throw locked(dataDir, pid);
      const why = pid === undefined ? 'unreadable' : pid === process.pid ? `pid ${pid} is this process, which does not hold it` : `pid ${pid} is not running`;
      log.warn(`taking over stale lock ${path} (${why})`);
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw locked(dataDir, readPid(path) ?? 0);
  }

  /** Remove the lock file, if it still names this process. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this.path);
    if (readPid(this.path) !== process.pid) return;
    try {
      unlinkSync(this.path);
    } catch (err) {
      log.warn(`could not remove lock file ${this.path}: ${(err as Error).message}`);
    }
  }
}

function locked(dataDir: string, pid: number): StoreError {
  return new StoreError(
    StoreErrorCode.Locked,
    `data directory ${dataDir} is in use by another Warren process (pid ${pid})`,
  );
}

/** Create the lock file exclusively with our pid; false if it already exists. */
function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid in a lock file, or undefined if it is missing, empty or garbled (a stale lock). */
function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Signal 0 checks existence; EPERM means it exists but belongs to another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
