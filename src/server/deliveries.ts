import { preconditionFailed } from '../amqp/errors.js';
import { encodeBasicDeliver, encodeBasicGetOk } from '../amqp/generated/methods.js';
import { ClassId } from '../amqp/generated/constants.js';
import type { Message, QueuedMessage } from '../broker/message.js';
import type { Queue } from '../broker/queue/queue.js';
import type { Channel } from './channel.js';
import type { ChannelConsumer } from './consumer.js';

/** A delivered message awaiting ack, reject or requeue. */
export class Unacked {
  /** acked or rejected inside an open transaction: settled at commit */
  pendingTx = false;
  constructor(
    readonly deliveryTag: number,
    readonly queue: Queue,
    readonly entry: QueuedMessage,
    readonly consumer: ChannelConsumer | null,
    readonly deliveredAt: number,
    /** when the consumer ack timeout closes the channel */
    readonly deadline: number,
  ) {}
}

export type Settle = 'ack' | 'requeue' | 'discard';
/** The method that discarded a delivery, for tracing: basic.nack or basic.reject. */
export type DiscardVerb = 'nack' | 'reject';

/**
 * A channel's outgoing messages: delivery tags, the unacked set (a Map in tag order), and
 * settling (ack / nack / reject / recover) with RabbitMQ's rules and texts.
 */
export class Deliveries {
  private nextTag = 1;
  readonly unacked = new Map<number, Unacked>();

  constructor(private readonly channel: Channel) {}

  get unackedCount(): number {
    return this.unacked.size;
  }

  deliver(consumer: ChannelConsumer, queue: Queue, entry: QueuedMessage): void {
    const tag = this.nextTag++;
    const ch = this.channel;
    const counters = ch.counters;
    if (!consumer.noAck) {
      this.track(tag, queue, entry, consumer);
      consumer.unacked++;
      counters.delivered++;
    } else counters.deliveredNoAck++;
    if (entry.redelivered) counters.redelivered++;
    const m = entry.message;
    if (ch.vhost.tracing.active) ch.vhost.tracing.delivered(m, queue, entry.redelivered, consumer.consumerTag, ch.publisher.context);
    encodeBasicDeliver(ch.conn.writer, ch.number, {
      consumerTag: consumer.consumerTag,
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: m.exchange,
      routingKey: m.routingKey,
    });
    this.writeContent(m);
  }

  /** A direct reply-to delivery: no queue, no ack. */
  deliverReply(consumerTag: string, m: Message): void {
    const ch = this.channel;
    encodeBasicDeliver(ch.conn.writer, ch.number, {
      consumerTag,
      deliveryTag: this.nextTag++,
      redelivered: false,
      exchange: m.exchange,
      routingKey: m.routingKey,
    });
    this.writeContent(m);
  }

  getOk(queue: Queue, entry: QueuedMessage, noAck: boolean): void {
    const tag = this.nextTag++;
    const ch = this.channel;
    if (!noAck) {
      this.track(tag, queue, entry, null);
      ch.counters.got++;
    } else ch.counters.gotNoAck++;
    if (entry.redelivered) ch.counters.redelivered++;
    const m = entry.message;
    if (ch.vhost.tracing.active) ch.vhost.tracing.delivered(m, queue, entry.redelivered, null, ch.publisher.context);
    encodeBasicGetOk(ch.conn.writer, ch.number, {
      deliveryTag: tag,
      redelivered: entry.redelivered,
      exchange: m.exchange,
      routingKey: m.routingKey,
      messageCount: queue.messageCount,
    });
    this.writeContent(m);
  }

  private track(tag: number, queue: Queue, entry: QueuedMessage, consumer: ChannelConsumer | null): void {
    const now = Date.now();
    const timeout = queue.settings.consumerTimeout ?? this.channel.conn.broker.config.consumerTimeout;
    const u = new Unacked(tag, queue, entry, consumer, now, now + timeout);
    this.unacked.set(tag, u);
    this.channel.ackTimeout.track(u.deadline);
  }

  private writeContent(m: Message): void {
    const conn = this.channel.conn;
    conn.writer.writeContent(this.channel.number, ClassId.Basic, m.body.length, m.properties, m.body);
    conn.scheduleFlush();
  }

  /**
   * Collect the unacked deliveries an ack/nack/reject names: one tag, or with `multiple` every
   * tag up to it (0 = all). Unknown tags are 406 "unknown delivery tag N".
   */
  take(deliveryTag: number, multiple: boolean): Unacked[] {
    // The named tag must be outstanding, even with multiple (RabbitMQ); 0 with multiple means all.
    const named = this.unacked.get(deliveryTag);
    if (!(multiple && deliveryTag === 0) && (named === undefined || named.pendingTx)) {
      throw preconditionFailed(`unknown delivery tag ${deliveryTag}`);
    }
    if (!multiple) return [named as Unacked];
    const out: Unacked[] = [];
    for (const [tag, u] of this.unacked) {
      if (deliveryTag !== 0 && tag > deliveryTag) break;
      if (!u.pendingTx) out.push(u);
    }
    return out;
  }

  /** Settle deliveries: ack, requeue, or discard (reject without requeue, by `verb`). */
  settle(list: readonly Unacked[], how: Settle, verb: DiscardVerb = 'reject'): void {
    if (how === 'ack') this.channel.counters.acked += list.length;
    for (const u of list) {
      this.unacked.delete(u.deliveryTag);
      if (u.consumer !== null) u.consumer.unacked--;
      const tag = u.entry.message.trace;
      if (tag !== null) this.channel.vhost.tracing.event(tag, how === 'discard' ? verb : how, u.queue.name);
      if (how === 'ack') u.queue.ack(u.entry);
      else if (how === 'requeue') u.queue.requeue(u.entry);
      else u.queue.discard(u.entry);
    }
    if (list.length > 0) this.channel.resumeDeliveries();
  }

  /** Requeue everything unacked (channel close, basic.recover requeue=true). */
  requeueAll(): void {
    if (this.unacked.size === 0) return;
    this.settle([...this.unacked.values()], 'requeue');
  }
}
