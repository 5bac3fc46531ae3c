import type BetterSqlite3 from 'better-sqlite3';
import { logger } from '../util/logger.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { MIGRATIONS } from './migrations/index.js';

const log = logger('store.schema');

/** The schema version this code writes, kept in `PRAGMA user_version`. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** `PRAGMA application_id` of a Warren database: 'WRN1'. Tells our files from other SQLite files. */
export const APPLICATION_ID = 0x57524e31;

export function newerSchemaError(file: string, version: number): StoreError {
  return new StoreError(
    StoreErrorCode.NewerSchema,
    `database ${file} has schema version ${version}, newer than this Warren supports (${SCHEMA_VERSION}); ` +
      'refusing to start (upgrade Warren or restore a backup)',
  );
}

/**
 * Check the identity and version of a database (from a read-only connection or the file header).
 * A fresh file (version 0, no tables) passes.
 */
export function checkSchema(file: string, version: number, applicationId: number, tableCount: number): void {
  if (version > SCHEMA_VERSION) throw newerSchemaError(file, version);
  const foreign = applicationId === 0 ? version !== 0 || tableCount > 0 : applicationId !== APPLICATION_ID;
  if (foreign) {
    throw new StoreError(
      StoreErrorCode.Corrupt,
      `database ${file} is a SQLite database but not a Warren one (application_id ${applicationId}, ` +
        `user_version ${version}); refusing to start`,
    );
  }
}

/**
 * Bring the schema up to SCHEMA_VERSION: a new database in one transaction (one fsync at start-up
 * instead of one per migration), an existing one a transaction per migration.
 */
export function migrate(db: BetterSqlite3.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw newerSchemaError(file, current);
  const pending = MIGRATIONS.slice(current);
  const steps = current === 0 ? [pending] : pending.map((m) => [m]);
  for (const step of steps) {
    const last = step[step.length - 1];
    if (last === undefined) continue;
    db.transaction(() => {
      for (const m of step) m.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${last.version}`);
    })();
    log.info(current === 0 ? `created ${file} at schema ${last.version}` : `migrated ${file} to schema ${last.version} (${last.name})`);
  }
}
