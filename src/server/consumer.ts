import type { FieldTable } from '../amqp/field-types.js';
import type { QueuedMessage } from '../broker/message.js';
import type { QueueConsumer } from '../broker/queue/consumer.js';
import type { Queue } from '../broker/queue/queue.js';
import type { Channel } from './channel.js';

/** An AMQP consumer (basic.consume) on a channel: the queue's view of the client. */
export class ChannelConsumer implements QueueConsumer {
  /** messages delivered to it and not yet settled */
  unacked = 0;
  /** x-cancel-on-ha-failover: told basic.cancel before a planned leadership change (Channel.cancelForHandOver) */
  cancelOnHaFailover = false;

  constructor(
    readonly channel: Channel,
    readonly queue: Queue,
    readonly consumerTag: string,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    /** per-consumer prefetch (basic.qos global=false at consume time); 0 = unlimited */
    readonly prefetch: number,
    readonly args: FieldTable,
  ) {}

  get owner(): object {
    return this.channel.conn;
  }

  canDeliver(): boolean {
    if (this.prefetch !== 0 && this.unacked >= this.prefetch && !this.noAck) return false;
    return this.channel.canDeliver(this);
  }

  outputBlocked(): boolean {
    return this.channel.conn.writeBlocked;
  }

  deliver(queue: Queue, entry: QueuedMessage): void {
    this.channel.deliveries.deliver(this, queue, entry);
  }

  queueDeleted(_queue: Queue): void {
    this.channel.consumerCancelledByServer(this);
  }
}
