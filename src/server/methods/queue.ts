import {
  encodeQueueBindOk,
  encodeQueueDeclareOk,
  encodeQueueDeleteOk,
  encodeQueuePurgeOk,
  encodeQueueUnbindOk,
  MethodId,
  type Method,
} from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';
import { DIRECT_REPLY_QUEUE } from '../../broker/direct-reply.js';

/** queue.* methods: validate, call the vhost, reply. */
export function handleQueue(ch: Channel, m: Method): void {
  const vhost = ch.vhost;
  const conn = ch.conn;
  const w = conn.writer;
  switch (m.id) {
    case MethodId.QueueDeclare: {
      if (m.queue === DIRECT_REPLY_QUEUE && m.passive) {
        // Spring AMQP detects direct reply-to support with this passive declare; RabbitMQ
        // answers a fixed consumer count of 1.
        encodeQueueDeclareOk(w, ch.number, { queue: m.queue, messageCount: 0, consumerCount: 1 });
        return;
      }
      const { queue } = vhost.declareQueue(m.queue, m.passive, {
        durable: m.durable,
        exclusiveOwner: m.exclusive ? conn : null,
        autoDelete: m.autoDelete,
        arguments: m.arguments,
      }, conn, ch.access);
      ch.lastQueue = queue.name;
      if (!m.noWait) {
        encodeQueueDeclareOk(w, ch.number, {
          queue: queue.name,
          messageCount: queue.messageCount,
          consumerCount: queue.consumerCount,
        });
      }
      return;
    }
    case MethodId.QueueBind:
      vhost.bindQueue(m.queue || ch.lastQueue, m.exchange, m.routingKey, m.arguments, conn, ch.access);
      if (!m.noWait) encodeQueueBindOk(w, ch.number, {});
      return;
    case MethodId.QueueUnbind:
      vhost.unbindQueue(m.queue || ch.lastQueue, m.exchange, m.routingKey, m.arguments, conn, ch.access);
      encodeQueueUnbindOk(w, ch.number, {});
      return;
    case MethodId.QueuePurge: {
      const messageCount = vhost.purgeQueue(m.queue || ch.lastQueue, conn, ch.access);
      if (!m.noWait) encodeQueuePurgeOk(w, ch.number, { messageCount });
      return;
    }
    case MethodId.QueueDelete: {
      const messageCount = vhost.deleteQueue(m.queue || ch.lastQueue, m.ifUnused, m.ifEmpty, conn, ch.access);
      if (!m.noWait) encodeQueueDeleteOk(w, ch.number, { messageCount });
      return;
    }
  }
}
