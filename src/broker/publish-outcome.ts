import type { Message } from './message.js';
import type { Queue } from './queue/queue.js';

/**
 * What one publish did, as the broker reports it to whoever published: the AMQP channel (confirms,
 * basic.return), later the HTTP API's publish endpoint ({"routed": true}) and the cluster's
 * replication apply. The caller owns it and may reuse it; every publish resets it first.
 */
export class PublishOutcome {
  /** queues (or direct reply-to consumers) the message reached, including any that refused it */
  routed = 0;
  /** of those, queues that refused it (x-overflow reject-publish): a confirm is a nack */
  rejected = 0;
  /** it was written to the store: a confirm (or tx.commit-ok) waits for the group commit */
  stored = false;
  /** the message as routed (BCC removed, reply_to rewritten): what a basic.return carries */
  message: Message | null = null;
  /** a queue it went to is congested (deliveries lag intake): the publisher should wait for it (Queue.awaitFlow) */
  congested: Queue | null = null;

  reset(): void {
    this.congested = null;
    this.routed = 0;
    this.rejected = 0;
    this.stored = false;
    this.message = null;
  }

  /** Unroutable: a mandatory publish comes back as basic.return (NO_ROUTE). */
  get unroutable(): boolean {
    return this.routed === 0;
  }
}
