import type { Migration } from './index.js';

/**
 * How many times an entry went back to its queue after a delivery (x-delivery-count). RabbitMQ
 * keeps a quorum queue's delivery count across restarts; delivery limits depend on it.
 */
export const deliveryCount: Migration = {
  version: 3,
  name: 'delivery-count',
  up(db) {
    db.exec('ALTER TABLE queue_entries ADD COLUMN delivery_count INTEGER NOT NULL DEFAULT 0;');
  },
};
