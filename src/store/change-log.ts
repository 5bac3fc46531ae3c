/**
 * The store's change log (CLUSTER.md 6.3): every committed transaction of a store opened with a
 * `ChangeLog` becomes one record of logical operations, handed to the log right after COMMIT
 * returns (definitions), or just before COMMIT (a group commit of messages: followers then write
 * it while the leader's own fsync runs; a COMMIT that fails after that is reported by `failed`). The record's position is written into `meta` inside the same transaction, so a store
 * always knows which record it holds last, even after a crash. A replica applies records
 * (replica.ts) and ends up with the same rows.
 *
 * The log itself (ordering, shipping, acknowledgements) belongs to the cluster layer; the store
 * only encodes its own operations (log-codec.ts) and says when a transaction committed.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** A position in the log: the epoch the record was written in, and its sequence number. */
export interface LogPosition {
  readonly epoch: number;
  readonly seq: number;
}

export const NO_POSITION: LogPosition = { epoch: 0, seq: 0 };

/** A consistent image of the whole store and the log position it holds. */
export interface StoreSnapshot {
  readonly position: LogPosition;
  /** the database file's bytes */
  readonly image: Buffer;
}

export interface ChangeLog {
  /** The position the next record gets (read inside the transaction that writes it). */
  next(): LogPosition;
  /** A transaction commits: `payload` (log-codec.ts) is the record at the position next() gave. */
  committed(payload: Buffer, definition: boolean): void;
  /** The COMMIT of a record already handed over failed: the log is ahead of the store. */
  failed(err: unknown): void;
  /**
   * Run `done` once every record committed so far is as durable as the log requires (for a
   * cluster leader: on every in-sync follower's disk). Confirms, tx.commit-ok and declare-ok wait here.
   */
  whenDurable(done: (err: Error | null) => void): void;
  /** the seq of the last definition record (declares, deletes, users, policies ...) */
  readonly definitionSeq: number;
  /**
   * The store opened with this log, holding `position` (called before recovery writes anything):
   * how to take a snapshot of it.
   */
  attach(position: LogPosition, snapshot: () => StoreSnapshot): void;
}

/** What the broker sees of the log: enough to hold replies until a definition change is durable. */
export type Durability = Pick<ChangeLog, 'whenDurable' | 'definitionSeq'>;

/**
 * Bytes a record's payload has free before and after it in its buffer, so the log can frame it
 * in place (length, type, epoch, seq before; a checksum after) instead of copying every body again.
 */
export const RECORD_HEADROOM = 21;
export const RECORD_TAILROOM = 4;

/** meta keys of the position */
export const META_EPOCH = 'log_epoch';
export const META_SEQ = 'log_seq';

/** Write a position into `meta` (inside the caller's transaction). */
export function positionWriter(db: BetterSqlite3.Database): (pos: LogPosition) => void {
  const stmt = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?), (?, ?)');
  return (pos) => void stmt.run(META_EPOCH, pos.epoch, META_SEQ, pos.seq);
}

/** The position a database holds (0/0 for one never written through a log). */
export function readPosition(db: BetterSqlite3.Database): LogPosition {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const epoch = (get.get(META_EPOCH) as number | undefined) ?? 0;
  const seq = (get.get(META_SEQ) as number | undefined) ?? 0;
  return { epoch, seq };
}
