import {
  encodeExchangeBindOk,
  encodeExchangeDeclareOk,
  encodeExchangeDeleteOk,
  encodeExchangeUnbindOk,
  MethodId,
  type Method,
} from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';

/** exchange.* methods: validate, call the vhost, reply. */
export function handleExchange(ch: Channel, m: Method): void {
  const vhost = ch.vhost;
  const w = ch.conn.writer;
  switch (m.id) {
    case MethodId.ExchangeDeclare: {
      vhost.declareExchange(m.exchange, m.type, m.passive, {
        durable: m.durable,
        autoDelete: m.autoDelete,
        internal: m.internal,
        arguments: m.arguments,
      }, ch.access);
      if (!m.noWait) encodeExchangeDeclareOk(w, ch.number, {});
      return;
    }
    case MethodId.ExchangeDelete:
      vhost.deleteExchange(m.exchange, m.ifUnused, ch.access);
      if (!m.noWait) encodeExchangeDeleteOk(w, ch.number, {});
      return;
    case MethodId.ExchangeBind:
      vhost.bindExchange(m.destination, m.source, m.routingKey, m.arguments, ch.access);
      if (!m.noWait) encodeExchangeBindOk(w, ch.number, {});
      return;
    case MethodId.ExchangeUnbind:
      vhost.unbindExchange(m.destination, m.source, m.routingKey, m.arguments, ch.access);
      if (!m.noWait) encodeExchangeUnbindOk(w, ch.number, {});
      return;
  }
}
