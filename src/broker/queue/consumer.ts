import type { Queue } from './queue.js';
import type { QueuedMessage } from '../message.js';

/**
 * What a queue delivers to. Implemented by the server layer (an AMQP consumer on a channel);
 * the queue knows nothing of channels, tags or frames.
 */
export interface QueueConsumer {
  readonly consumerTag: string;
  /** auto-ack: the queue forgets the message as soon as it is delivered */
  readonly noAck: boolean;
  /** x-priority; higher gets messages first while it has capacity */
  readonly priority: number;
  /** basic.consume exclusive */
  readonly exclusive: boolean;
  /** the connection that owns it (for exclusive-queue checks) */
  readonly owner: object;
  /** true when it can take one more message now (prefetch, flow, socket back-pressure) */
  canDeliver(): boolean;
  /** its connection's output is full (socket back-pressure): it will take more once that drains */
  outputBlocked(): boolean;
  /** take the message; for noAck=false the consumer must later ack, reject or requeue it */
  deliver(queue: Queue, entry: QueuedMessage): void;
  /** the queue went away (deleted); the consumer is already removed from it */
  queueDeleted(queue: Queue): void;
}
