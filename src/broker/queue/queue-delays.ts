import type { Clock } from '../../util/clock.js';
import { DelayedMessages, delayOf } from '../delayed-messages.js';
import type { Message } from '../message.js';
import type { Queue } from './queue.js';

/**
 * The delayed-message policy of one queue: a message with a positive x-delay header is held until
 * it is due, then enqueued. Created on first use; a stored queue keeps its held persistent messages
 * in a hidden store queue (QueueHooks.delayStore), restored at start.
 */
export class QueueDelays {
  /** the held messages (listable and cancellable), or null before the first one */
  held: DelayedMessages | null = null;

  constructor(
    private readonly queue: Queue,
    private readonly clock: Clock,
    /** a held message is due */
    private readonly release: (message: Message) => void,
  ) {}

  /** Hold `message` if it carries an x-delay; true when held. */
  hold(message: Message): boolean {
    const delay = delayOf(message.headers);
    if (delay <= 0) return false;
    this.holder().hold(message, delay);
    return true;
  }

  /** Recovery: a held message read back from the store. */
  restore(message: Message, dueAt: number, id: number): void {
    this.holder().holdUntil(message, dueAt, id);
  }

  stop(): void {
    this.held?.stop();
  }

  private holder(): DelayedMessages {
    if (this.held !== null) return this.held;
    const d = new DelayedMessages(this.clock, (h) => {
      if (!this.queue.deleted) this.release(h.message);
    });
    d.store = this.queue.hooks?.delayStore(this.queue) ?? null;
    return (this.held = d);
  }
}
