import { preconditionFailed } from '../../amqp/errors.js';
import { encodeConfirmSelectOk, MethodId, type Method } from '../../amqp/generated/methods.js';
import type { Channel } from '../channel.js';

/** confirm.select: publisher confirms on this channel. */
export function handleConfirm(ch: Channel, m: Method): void {
  if (m.id !== MethodId.ConfirmSelect) return; // confirm.select-ok is refused before (CHANNEL_METHODS)
  if (ch.publisher.tx) throw preconditionFailed('cannot switch from tx to confirm mode');
  ch.publisher.confirm = true;
  if (!m.noWait) encodeConfirmSelectOk(ch.conn.writer, ch.number, {});
}
