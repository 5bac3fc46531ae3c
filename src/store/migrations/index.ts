import type BetterSqlite3 from 'better-sqlite3';
import { initial } from './001-initial.js';
import { transientEntries } from './002-transient-entries.js';
import { deliveryCount } from './003-delivery-count.js';
import { accessControl } from './004-access-control.js';

/** One schema step. `up` runs inside a transaction that also sets `PRAGMA user_version`. */
export interface Migration {
  /** equals its 1-based position in MIGRATIONS */
  readonly version: number;
  readonly name: string;
  up(db: BetterSqlite3.Database): void;
}

/** Every migration, in order. Append only; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [initial, transientEntries, deliveryCount, accessControl];
