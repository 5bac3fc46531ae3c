import type { Migration } from './index.js';

/**
 * Entries of transient messages that a queue paged out to stay within its memory budget. They
 * must not outlive the process (RabbitMQ's rule for transient messages), so the store drops
 * them when it opens; the partial index makes finding them cheap.
 */
export const transientEntries: Migration = {
  version: 2,
  name: 'transient-entries',
  up(db) {
    db.exec(`
      ALTER TABLE queue_entries ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX queue_entries_transient ON queue_entries (queue_id, seq) WHERE transient = 1;
    `);
  },
};
