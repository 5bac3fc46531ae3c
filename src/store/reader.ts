import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * A read-only second connection to a data directory's database, taking no lock: for tools that
 * inspect a live store (a CLI check, a replication snapshot, tests that prove a commit reached
 * the file). It sees committed transactions only.
 */
export class StoreReader {
  private readonly messageStmt: BetterSqlite3.Statement;
  private readonly entryCountStmt: BetterSqlite3.Statement;
  private readonly countsStmt: BetterSqlite3.Statement;

  private constructor(private readonly db: BetterSqlite3.Database) {
    this.messageStmt = db.prepare('SELECT refs FROM messages WHERE id = ?').pluck();
    this.entryCountStmt = db.prepare('SELECT count(*) FROM queue_entries WHERE queue_id = ?').pluck();
    this.countsStmt = db.prepare(
      'SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM queue_entries) AS entries',
    );
  }

  static open(dataDir: string): StoreReader {
    return new StoreReader(new Sqlite(join(dataDir, 'warren.db'), { readonly: true, fileMustExist: true }));
  }

  /** The committed reference count of a message, or undefined if it is not stored. */
  messageRefs(id: number): number | undefined {
    return this.messageStmt.get(id) as number | undefined;
  }

  entryCount(queueId: number): number {
    return this.entryCountStmt.get(queueId) as number;
  }

  /** Rows in the message and entry tables. */
  counts(): { messages: number; entries: number } {
    return this.countsStmt.get() as { messages: number; entries: number };
  }

  /**
   * The store's reference invariant: message rows whose refs differ from the entries that point at
   * them (a leaked body has refs but no entry; a dropped one has entries but no row).
   */
  referenceMismatches(): { leaked: number; dangling: number } {
    return this.db
      .prepare(
        `SELECT
           (SELECT count(*) FROM messages m
             WHERE m.refs != (SELECT count(*) FROM queue_entries e WHERE e.message_id = m.id)) AS leaked,
           (SELECT count(*) FROM queue_entries e
             WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = e.message_id)) AS dangling`,
      )
      .get() as { leaked: number; dangling: number };
  }

  close(): void {
    this.db.close();
  }
}
