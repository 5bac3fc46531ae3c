/**
 * Which methods a client may send on a channel, and how the others are refused: the one place
 * for RabbitMQ's catch-all clauses.
 *
 * - On a channel, a method the server does not implement is `503 COMMAND_INVALID - unimplemented
 *   method` on the connection, with the method's class and method ids (rabbit_channel's last
 *   handle_method clause). That covers every server -> client method (channel.open-ok,
 *   queue.declare-ok, basic.deliver, ...), the two-way methods RabbitMQ does not take from a
 *   client (channel.flow-ok, basic.cancel-ok, channel.close-ok on an open channel) and
 *   connection.* on a channel other than 0.
 * - A refused method that carries content (basic.return, basic.deliver, basic.get-ok) is refused
 *   once its content is complete, as RabbitMQ assembles content before it looks at the method; a
 *   method frame instead of that content is the usual 505.
 * - On channel 0, Connection answers everything but close, close-ok and update-secret with 504
 *   "unexpected method in connection state running" (rabbit_reader's handle_method0).
 */
import { ContentAssembler } from '../amqp/content-assembler.js';
import { commandInvalid, frameError, unexpectedFrame, type AmqpError } from '../amqp/errors.js';
import { FrameType } from '../amqp/generated/constants.js';
import { MethodId } from '../amqp/generated/methods.js';

/** Methods a channel handles (methods/*.ts). channel.close-ok is taken only while closing (Channel). */
export const CHANNEL_METHODS: ReadonlySet<number> = new Set<number>([
  MethodId.ChannelOpen,
  MethodId.ChannelFlow,
  MethodId.ChannelClose,
  MethodId.ExchangeDeclare,
  MethodId.ExchangeDelete,
  MethodId.ExchangeBind,
  MethodId.ExchangeUnbind,
  MethodId.QueueDeclare,
  MethodId.QueueBind,
  MethodId.QueuePurge,
  MethodId.QueueDelete,
  MethodId.QueueUnbind,
  MethodId.BasicQos,
  MethodId.BasicConsume,
  MethodId.BasicCancel,
  MethodId.BasicPublish,
  MethodId.BasicGet,
  MethodId.BasicAck,
  MethodId.BasicReject,
  MethodId.BasicRecoverAsync,
  MethodId.BasicRecover,
  MethodId.BasicNack,
  MethodId.ConfirmSelect,
  MethodId.TxSelect,
  MethodId.TxCommit,
  MethodId.TxRollback,
]);

/** RabbitMQ's refusal of a method a channel does not implement (ids filled in by the caller). */
export const unimplementedMethod = (): AmqpError => commandInvalid('unimplemented method');

/**
 * The content of a refused content-bearing method, read and dropped; the method is refused when
 * its content is complete. The header is checked by a ContentAssembler (RabbitMQ's texts); body
 * bytes are only counted, never kept.
 */
export class RefusedContent {
  /** the refused method, while its content is expected; 0 otherwise */
  methodId = 0;
  private readonly assembler = new ContentAssembler();
  /** body bytes still expected after the header; -1 before the header */
  private remaining = -1;

  get active(): boolean {
    return this.methodId !== 0;
  }

  start(methodId: number): void {
    this.methodId = methodId;
    this.remaining = -1;
    this.assembler.start(methodId >>> 16);
  }

  /**
   * A content frame. Returns the 503 once the content is complete, undefined while more is
   * expected; throws the 505 or 501 for a frame out of order or too long.
   */
  onContentFrame(type: number, payload: Buffer): AmqpError | undefined {
    if (this.remaining < 0) {
      if (type !== FrameType.Header) throw this.unexpectedMethodError();
      this.assembler.onHeader(payload);
      this.remaining = this.assembler.bodySize;
    } else {
      if (type !== FrameType.Body) throw this.unexpectedMethodError();
      if (payload.length > this.remaining) {
        const size = this.assembler.bodySize;
        throw frameError(`content body of ${size - this.remaining + payload.length} octets exceeds the declared body size ${size}`);
      }
      this.remaining -= payload.length;
    }
    if (this.remaining > 0) return undefined;
    this.reset();
    return unimplementedMethod();
  }

  /** The 505 for a frame of the wrong kind where the content should be. */
  unexpectedMethodError(): AmqpError {
    if (this.remaining < 0) return this.assembler.unexpectedFrameError();
    return unexpectedFrame('expected content body, got non content body frame instead');
  }

  reset(): void {
    this.methodId = 0;
    this.remaining = -1;
    this.assembler.reset();
  }
}
