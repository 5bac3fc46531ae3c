/** Stable codes for store failures, so callers can branch without parsing messages. */
export const StoreErrorCode = {
  /** another live process holds the data directory's lock file */
  Locked: 'ERR_WARREN_STORE_LOCKED',
  /** the database was written by a newer Warren (schema version above ours) */
  NewerSchema: 'ERR_WARREN_STORE_NEWER_SCHEMA',
  /** not a SQLite database, not a Warren database, or it fails its integrity check */
  Corrupt: 'ERR_WARREN_STORE_CORRUPT',
  /** a group commit failed and was rolled back */
  CommitFailed: 'ERR_WARREN_STORE_COMMIT_FAILED',
  /** the store was used after close() */
  Closed: 'ERR_WARREN_STORE_CLOSED',
  /** a replica cannot apply the leader's log (a gap, or records that do not fit): it needs a snapshot */
  Diverged: 'ERR_WARREN_STORE_DIVERGED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** The one error type thrown by src/store; `code` is stable, the message is for humans. */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
