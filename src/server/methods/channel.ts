import { channelError, notImplemented } from '../../amqp/errors.js';
import { encodeChannelFlowOk, encodeChannelOpenOk, MethodId, type Method } from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';

/** channel.* methods (those in CHANNEL_METHODS; the rest never get here). */
export function handleChannel(ch: Channel, m: Method): void {
  switch (m.id) {
    case MethodId.ChannelOpen:
      if (ch.state !== 'opening') throw channelError(`second 'channel.open' seen`);
      ch.state = 'open';
      encodeChannelOpenOk(ch.conn.writer, ch.number, {});
      return;
    case MethodId.ChannelFlow:
      // RabbitMQ 3.x refuses a client's active=false (540 on the connection); active=true is a no-op.
      if (!m.active) throw notImplemented('active=false');
      encodeChannelFlowOk(ch.conn.writer, ch.number, { active: true });
      return;
    case MethodId.ChannelClose:
      ch.conn.channelClosedByClient(ch);
      return;
  }
}
