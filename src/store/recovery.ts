import type BetterSqlite3 from 'better-sqlite3';
import { logger } from '../util/logger.js';
import type { MessageStorage } from './storage.js';

const log = logger('store.recovery');

/**
 * Recovery rule: entries whose queue row is gone belong to a deleted queue. Deleting a queue
 * commits its definition at once but drops its entries in the next group commit, so a crash in
 * between leaves them behind. They are dropped here, releasing their messages (queue ids are
 * AUTOINCREMENT, so no newer queue can have adopted them).
 *
 * Walks the distinct queue ids of queue_entries with one index seek each, so the cost is
 * O(queues × log entries), not a scan of every entry. Returns the orphan queue ids.
 */
export function dropOrphanEntries(db: BetterSqlite3.Database, messages: MessageStorage): number[] {
  const nextQueueId = db
    .prepare('SELECT queue_id FROM queue_entries WHERE queue_id > ? ORDER BY queue_id LIMIT 1')
    .pluck();
  const queueExists = db.prepare('SELECT 1 FROM queues WHERE id = ?').pluck();
  const orphans: number[] = [];
  let id = nextQueueId.get(-1) as number | undefined;
  while (id !== undefined) {
    if (queueExists.get(id) === undefined) orphans.push(id);
    id = nextQueueId.get(id) as number | undefined;
  }
  if (orphans.length === 0) return orphans;
  log.warn(`dropping entries of deleted queues ${orphans.join(', ')} (left by a crash during delete)`);
  for (const id of orphans) messages.deleteQueue(id);
  messages.flushSync();
  return orphans;
}

/**
 * Recovery rule: entries marked transient are transient messages a queue paged out to stay
 * within its memory budget. Transient messages do not survive a restart, so they are dropped,
 * releasing their messages. Returns how many.
 */
export function dropTransientEntries(db: BetterSqlite3.Database, messages: MessageStorage): number {
  const rows = db.prepare('SELECT queue_id, seq, message_id FROM queue_entries WHERE transient = 1').raw().all() as [
    number,
    number,
    number,
  ][];
  if (rows.length === 0) return 0;
  for (const [queueId, seq, messageId] of rows) messages.remove(queueId, seq, messageId);
  messages.flushSync();
  log.info(`dropped ${rows.length} paged-out transient messages`);
  return rows.length;
}
