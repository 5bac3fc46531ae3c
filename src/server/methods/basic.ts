import { randomBytes } from 'node:crypto';
import { notAllowed, notImplemented, preconditionFailed } from '../../amqp/errors.js';
import {
  encodeBasicCancelOk,
  encodeBasicConsumeOk,
  encodeBasicGetEmpty,
  encodeBasicQosOk,
  encodeBasicRecoverOk,
  MethodId,
  type BasicConsume,
  type Method,
} from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';
import { ChannelConsumer } from '../consumer.js';
import type { DiscardVerb, Settle } from '../deliveries.js';
import { DIRECT_REPLY_QUEUE } from '../../broker/direct-reply.js';
import { parseConsumeArguments } from '../../broker/consume-arguments.js';

const newTag = (): string => `amq.ctag-${randomBytes(16).toString('base64url')}`;

/** basic.* methods. */
export function handleBasic(ch: Channel, m: Method): void {
  const w = ch.conn.writer;
  switch (m.id) {
    case MethodId.BasicPublish:
      ch.publisher.onPublish(m);
      return;
    case MethodId.BasicAck:
      settle(ch, m.deliveryTag, m.multiple, 'ack');
      return;
    case MethodId.BasicNack:
      settle(ch, m.deliveryTag, m.multiple, m.requeue ? 'requeue' : 'discard', 'nack');
      return;
    case MethodId.BasicReject:
      settle(ch, m.deliveryTag, false, m.requeue ? 'requeue' : 'discard', 'reject');
      return;
    case MethodId.BasicQos:
      if (m.prefetchSize !== 0) throw notImplemented(`prefetch_size!=0 (${m.prefetchSize})`);
      if (m.global) ch.globalPrefetch = m.prefetchCount;
      else ch.prefetchCount = m.prefetchCount;
      encodeBasicQosOk(w, ch.number, {});
      ch.resumeDeliveries();
      return;
    case MethodId.BasicConsume:
      consume(ch, m);
      return;
    case MethodId.BasicCancel: {
      cancel(ch, m.consumerTag);
      if (!m.noWait) encodeBasicCancelOk(w, ch.number, { consumerTag: m.consumerTag });
      return;
    }
    case MethodId.BasicGet: {
      const queue = ch.vhost.readQueue(m.queue || ch.lastQueue, ch.conn, ch.access);
      const entry = queue.get(m.noAck);
      if (entry === undefined) {
        ch.counters.gotEmpty++;
        encodeBasicGetEmpty(w, ch.number, {});
      } else ch.deliveries.getOk(queue, entry, m.noAck);
      return;
    }
    case MethodId.BasicRecover:
    case MethodId.BasicRecoverAsync:
      if (!m.requeue) throw notImplemented('requeue=false');
      ch.deliveries.requeueAll();
      if (m.id === MethodId.BasicRecover) encodeBasicRecoverOk(w, ch.number, {});
      return;
  }
}

function settle(ch: Channel, deliveryTag: number, multiple: boolean, how: Settle, verb?: DiscardVerb): void {
  const list = ch.deliveries.take(deliveryTag, multiple);
  if (ch.publisher.tx) {
    for (const u of list) u.pendingTx = true;
    ch.txSettles.push({ list, how, verb });
    return;
  }
  ch.deliveries.settle(list, how, verb);
}

function consume(ch: Channel, m: BasicConsume): void {
  const tag = m.consumerTag === '' ? newTag() : m.consumerTag;
  if (ch.consumers.has(tag) || ch.directReply?.consumerTag === tag) {
    throw notAllowed(`attempt to reuse consumer tag '${tag}'`);
  }
  const max = ch.conn.broker.config.maxConsumersPerChannel;
  if (max > 0 && ch.consumers.size >= max) throw notAllowed(`reached maximum (${max}) of consumers per channel`);
  if (m.queue === DIRECT_REPLY_QUEUE) {
    consumeDirectReply(ch, tag, m);
    return;
  }
  const queue = ch.vhost.readQueue(m.queue || ch.lastQueue, ch.conn, ch.access);
  const { priority, cancelOnHaFailover } = parseConsumeArguments(m.arguments, queue.name, queue.vhost, queue.type);
  const consumer = new ChannelConsumer(ch, queue, tag, m.noAck, m.exclusive, priority, ch.prefetchCount, m.arguments);
  consumer.cancelOnHaFailover = cancelOnHaFailover;
  // Add first (it may refuse: exclusive use); deliveries start after this turn, after consume-ok.
  queue.addConsumer(consumer);
  ch.consumers.set(tag, consumer);
  if (!m.noWait) encodeBasicConsumeOk(ch.conn.writer, ch.number, { consumerTag: tag });
}

/** amq.rabbitmq.reply-to: a pseudo-queue; replies reach this channel without a queue. */
function consumeDirectReply(ch: Channel, tag: string, m: BasicConsume): void {
  if (!m.noAck) throw preconditionFailed('reply consumer cannot acknowledge');
  if (ch.directReply !== null) throw preconditionFailed('reply consumer already set');
  ch.startDirectReply(tag);
  if (!m.noWait) encodeBasicConsumeOk(ch.conn.writer, ch.number, { consumerTag: tag });
}

function cancel(ch: Channel, tag: string): void {
  const consumer = ch.consumers.get(tag);
  if (consumer !== undefined) {
    ch.consumers.delete(tag);
    consumer.queue.removeConsumer(consumer);
    return;
  }
  if (ch.directReply?.consumerTag === tag) ch.stopDirectReply();
}
