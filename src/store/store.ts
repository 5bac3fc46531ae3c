import { logger } from '../util/logger.js';
import { readPosition, type ChangeLog, type Durability, type StoreSnapshot } from './change-log.js';
import { openDatabase, type DatabaseOptions } from './database.js';
import { DefinitionsStore } from './definitions-store.js';
import type { GroupCommitOptions } from './group-commit.js';
import type { LockFile } from './lock-file.js';
import { MessageStore } from './message-store.js';
import { dropOrphanEntries, dropTransientEntries } from './recovery.js';
import type { Storage } from './storage.js';
import type BetterSqlite3 from 'better-sqlite3';

const log = logger('store.sqlite');

export type StoreOptions = DatabaseOptions &
  GroupCommitOptions & {
    /** every committed transaction becomes a record of this log (a cluster leader's replication) */
    log?: ChangeLog;
  };

/**
 * The durable store: `<dataDir>/warren.db` (SQLite, WAL, synchronous=FULL), locked by
 * `<dataDir>/warren.lock` while open. The one object the broker holds when persistence is on.
 */
export class Store implements Storage {
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly file: string,
    private readonly db: BetterSqlite3.Database,
    private readonly lock: LockFile,
    readonly definitions: DefinitionsStore,
    readonly messages: MessageStore,
    /**
     * The previous run did not close the store (a crash, kill -9). Recovery rule: its messages may
     * have been delivered without the redelivered mark reaching the disk, so all come back redelivered.
     */
    readonly uncleanShutdown: boolean,
    readonly durability?: Durability,
  ) {}

  /**
   * Open (creating or migrating) the store in `dataDir`. Throws StoreError with code
   * ERR_WARREN_STORE_LOCKED, _NEWER_SCHEMA or _CORRUPT, leaving the files as they were.
   */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    const { db, file, lock } = openDatabase(dataDir, options);
    try {
      const messages = new MessageStore(db, options, options.log);
      const definitions = new DefinitionsStore(db, (queueId) => messages.deleteQueue(queueId), options.log);
      // Before recovery writes anything: the log continues from the position the file holds.
      options.log?.attach(readPosition(db), () => snapshotOf(db));
      dropOrphanEntries(db, messages);
      dropTransientEntries(db, messages);
      const unclean = markOpen(db);
      log.info(`opened ${file}${unclean ? ' (after an unclean shutdown)' : ''}`);
      return new Store(dataDir, file, db, lock, definitions, messages, unclean, options.log);
    } catch (err) {
      db.close();
      lock.release();
      throw err;
    }
  }

  /** Commit what is pending, run its callbacks, close the database and release the lock. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.messages.flushSync();
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean_shutdown', 1)").run();
    } catch (err) {
      log.error('final commit failed', err);
    }
    try {
      this.db.pragma('optimize');
      this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

/**
 * The whole database as one consistent image (sqlite3_serialize reads through a read transaction,
 * WAL included) and the log position it holds. Committed state only: a pending group-commit batch
 * is not in it, and not in the log yet either.
 */
function snapshotOf(db: BetterSqlite3.Database): StoreSnapshot {
  return { position: readPosition(db), image: db.serialize() };
}

/** Record that the store is open (clean_shutdown = 0); returns whether the last run ended uncleanly. */
function markOpen(db: BetterSqlite3.Database): boolean {
  const flag = db.prepare("SELECT value FROM meta WHERE key = 'clean_shutdown'").pluck().get() as number | undefined;
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean_shutdown', 0)").run();
  return flag === 0;
}
