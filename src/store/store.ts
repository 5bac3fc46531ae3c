import { logger } from '../util/logger.js';
import { openDatabase, type DatabaseOptions } from './database.js';
import { DefinitionsStore } from './definitions-store.js';
import type { GroupCommitOptions } from './group-commit.js';
import type { LockFile } from './lock-file.js';
import { MessageStore } from './message-store.js';
import { dropOrphanEntries, dropTransientEntries } from './recovery.js';
import type { Storage } from './storage.js';
import type BetterSqlite3 from 'better-sqlite3';

const log = logger('store.sqlite');

export type StoreOptions = DatabaseOptions & GroupCommitOptions;

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
  ) {}

  /**
   * Open (creating or migrating) the store in `dataDir`. Throws StoreError with code
   * ERR_WARREN_STORE_LOCKED, _NEWER_SCHEMA or _CORRUPT, leaving the files as they were.
   */
  static open(dataDir: string, options: StoreOptions = {}): Store {
    const { db, file, lock } = openDatabase(dataDir, options);
    try {
      const messages = new MessageStore(db, options);
      const definitions = new DefinitionsStore(db, (queueId) => messages.deleteQueue(queueId));
      dropOrphanEntries(db, messages);
      dropTransientEntries(db, messages);
      log.info(`opened ${file}`);
      return new Store(dataDir, file, db, lock, definitions, messages);
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
