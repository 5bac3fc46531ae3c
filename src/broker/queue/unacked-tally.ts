import type { QueuedMessage } from '../message.js';

/**
 * A queue's messages delivered and not yet acked, rejected or requeued: how many, their body
 * bytes, and how many of them are persistent (for the management API's message_bytes_unacknowledged
 * and messages_persistent). Plain fields bumped where the queue already counts a delivery.
 */
export class UnackedTally {
  count = 0;
  bytes = 0;
  persistent = 0;
  persistentBytes = 0;

  add(entry: QueuedMessage): void {
    const m = entry.message;
    this.count++;
    this.bytes += m.body.length;
    if (m.persistent) {
      this.persistent++;
      this.persistentBytes += m.body.length;
    }
  }

  remove(entry: QueuedMessage): void {
    const m = entry.message;
    this.count--;
    this.bytes -= m.body.length;
    if (m.persistent) {
      this.persistent--;
      this.persistentBytes -= m.body.length;
    }
  }
}
