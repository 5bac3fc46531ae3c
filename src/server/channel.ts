import { channelError, type AmqpError } from '../amqp/errors.js';
import { ClassId } from '../amqp/generated/constants.js';
import { encodeBasicCancel, encodeChannelClose, encodeChannelCloseOk, METHOD_INFO, MethodId, type Method } from '../amqp/generated/methods.js';
import type { Message } from '../broker/message.js';
import type { DirectReplySink } from '../broker/direct-reply.js';
import type { Access } from '../broker/auth/access.js';
import type { Vhost } from '../broker/vhost.js';
import { ChannelCounters } from '../broker/stats/channel-counters.js';
import { logger } from '../util/logger.js';
import type { Connection } from './connection.js';
import type { ChannelConsumer } from './consumer.js';
import { Deliveries, type DiscardVerb, type Settle, type Unacked } from './deliveries.js';
import { handleBasic } from './methods/basic.js';
import { handleChannel } from './methods/channel.js';
import { handleConfirm } from './methods/confirm.js';
import { handleExchange } from './methods/exchange.js';
import { handleQueue } from './methods/queue.js';
import { handleTx } from './methods/tx.js';
import { Publisher } from './publisher.js';
import { AckTimeout } from './ack-timeout.js';
import { CHANNEL_METHODS, RefusedContent, unimplementedMethod } from './client-methods.js';

const log = logger('amqp.channel');

type State = 'opening' | 'open' | 'closing' | 'closed';

/** The direct reply-to consumer of a channel (amq.rabbitmq.reply-to). */
export interface DirectReply {
  readonly token: string;
  readonly consumerTag: string;
}

/**
 * One AMQP channel: dispatches methods to the per-class handlers in methods/, holds consumers,
 * unacked deliveries, prefetch, confirm and tx state. Channel errors thrown below are caught in
 * dispatch() and become channel.close; frames are then discarded until close-ok.
 */
export class Channel {
  state: State = 'opening';
  readonly deliveries = new Deliveries(this);
  readonly ackTimeout = new AckTimeout(this);
  readonly publisher = new Publisher(this);
  /** message_stats: bumped where each event is handled, read by the management API */
  readonly counters = new ChannelCounters();
  /** content of a refused server-only method (basic.deliver...) being read */
  private readonly refused = new RefusedContent();
  readonly consumers = new Map<string, ChannelConsumer>();
  /** basic.qos global=false: prefetch for consumers created from now on */
  prefetchCount = 0;
  /** basic.qos global=true: limit on the channel's unacked total */
  globalPrefetch = 0;
  /** acks/rejects made inside the open transaction, applied at commit */
  txSettles: Array<{ list: Unacked[]; how: Settle; verb?: DiscardVerb | undefined }> = [];
  /** last queue declared on this channel ('' in queue.bind etc. means this one) */
  lastQueue = '';
  directReply: DirectReply | null = null;
  /** the user's rights in the vhost, checked by every broker operation */
  readonly access: Access;
  /** counted in the user's channels (max-channels) until destroyed */
  private counted = true;

  constructor(
    readonly conn: Connection,
    readonly number: number,
  ) {
    this.access = conn.access as Access;
    // RabbitMQ's user limit max-channels: 530 on the connection when reached.
    conn.broker.sessions.openChannel(this.access.user);
  }

  get vhost(): Vhost {
    return this.conn.vhost as Vhost;
  }

  dispatch(m: Method): void {
    if (this.state === 'closing') {
      this.whileClosing(m);
      return;
    }
    if (this.publisher.expectingContent) {
      // A method where content should be: reported against the basic.publish.
      this.conn.fail(this.publisher.unexpectedMethodError(), this.number, ClassId.Basic, MethodId.BasicPublish & 0xffff);
      return;
    }
    if (this.refused.active) {
      this.conn.fail(this.refused.unexpectedMethodError(), this.number, this.refused.methodId >>> 16, this.refused.methodId & 0xffff);
      return;
    }
    if (!CHANNEL_METHODS.has(m.id)) {
      // A method the server does not take from clients: 503, after its content if it has one.
      if (METHOD_INFO[m.id]?.hasContent === true) this.refused.start(m.id);
      else this.conn.fail(unimplementedMethod(), this.number, m.id >>> 16, m.id & 0xffff);
      return;
    }
    try {
      switch (m.id >>> 16) {
        case ClassId.Channel:
          handleChannel(this, m);
          break;
        case ClassId.Exchange:
          handleExchange(this, m);
          break;
        case ClassId.Queue:
          handleQueue(this, m);
          break;
        case ClassId.Basic:
          handleBasic(this, m);
          break;
        case ClassId.Confirm:
          handleConfirm(this, m);
          break;
        case ClassId.Tx:
          handleTx(this, m);
          break;
        default:
          throw unimplementedMethod();
      }
    } catch (err) {
      this.conn.fail(err, this.number, m.id >>> 16, m.id & 0xffff);
    }
  }

  onContentFrame(type: number, payload: Buffer): void {
    if (this.state === 'closing') return; // discarded until close-ok
    if (this.refused.active) {
      this.onRefusedContent(type, payload);
      return;
    }
    // Errors during a content are reported against its basic.publish; stray content frames against nothing.
    const during = this.publisher.expectingContent;
    try {
      this.publisher.onContentFrame(type, payload);
    } catch (err) {
      this.conn.fail(err, this.number, during ? ClassId.Basic : 0, during ? MethodId.BasicPublish & 0xffff : 0);
    }
  }

  /** Content of a method refused by CHANNEL_METHODS: counted, then the method is refused. */
  private onRefusedContent(type: number, payload: Buffer): void {
    const id = this.refused.methodId;
    try {
      const err = this.refused.onContentFrame(type, payload);
      if (err !== undefined) this.conn.fail(err, this.number, id >>> 16, id & 0xffff);
    } catch (err) {
      this.conn.fail(err, this.number, id >>> 16, id & 0xffff);
    }
  }

  /**
   * After we sent channel.close, only close-ok ends the channel. A client channel.close that
   * crossed ours is answered with close-ok and the channel keeps waiting for the client's close-ok
   * (RabbitMQ does the same); a channel.open before that is a second channel.open. Everything else
   * is discarded.
   */
  private whileClosing(m: Method): void {
    switch (m.id) {
      case MethodId.ChannelCloseOk:
        this.state = 'closed';
        this.conn.removeChannel(this);
        return;
      case MethodId.ChannelClose:
        encodeChannelCloseOk(this.conn.writer, this.number, {});
        this.conn.scheduleFlush();
        return;
      case MethodId.ChannelOpen:
        this.conn.fail(channelError(`second 'channel.open' seen`), this.number, ClassId.Channel, MethodId.ChannelOpen & 0xffff);
        return;
    }
  }

  /** Server-initiated channel.close for a soft error. */
  closeWithError(err: AmqpError): void {
    log.debug(`closing channel ${this.number} of ${this.conn.name}: ${err.replyText}`);
    encodeChannelClose(this.conn.writer, this.number, {
      replyCode: err.replyCode,
      replyText: err.replyText,
      classId: err.classId,
      methodId: err.methodId,
    });
    this.conn.scheduleFlush();
    this.destroy();
    this.state = 'closing';
  }

  /** Release everything the channel holds: consumers go, unacked messages are requeued. */
  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const vhost = this.conn.vhost;
    if (vhost !== null) vhost.counters.receivedConfirmClosed += this.publisher.retire();
    if (this.counted) {
      this.counted = false;
      this.conn.broker.sessions.closeChannel(this.access.user);
    }
    this.ackTimeout.stop();
    for (const c of this.consumers.values()) c.queue.removeConsumer(c);
    this.consumers.clear();
    this.deliveries.requeueAll();
    this.txSettles = [];
    this.stopDirectReply();
    this.publisher.reset();
    this.refused.reset();
  }

  // ---- deliveries ------------------------------------------------------------------------

  canDeliver(_consumer: ChannelConsumer): boolean {
    if (this.state !== 'open') return false;
    if (this.globalPrefetch !== 0 && this.deliveries.unackedCount >= this.globalPrefetch) return false;
    if (this.conn.writeBlocked) {
      this.conn.waitForDrain(this);
      return false;
    }
    return true;
  }

  /** Deliveries were settled or limits raised: every consumer's queue may deliver again. */
  resumeDeliveries(): void {
    for (const c of this.consumers.values()) c.queue.scheduleDrain();
  }

  /** The queue of a consumer was deleted: tell clients that understand basic.cancel. */
  consumerCancelledByServer(c: ChannelConsumer): void {
    if (this.consumers.get(c.consumerTag) !== c) return;
    this.consumers.delete(c.consumerTag);
    if (this.state !== 'open' || !this.conn.cancelNotify) return;
    encodeBasicCancel(this.conn.writer, this.number, { consumerTag: c.consumerTag, noWait: true });
    this.conn.scheduleFlush();
  }

  /**
   * A planned leadership change (Broker.handOver): each x-cancel-on-ha-failover consumer leaves its
   * queue and, when the client understands it, gets basic.cancel (nowait), ahead of the 320 close.
   */
  cancelForHandOver(): void {
    for (const c of [...this.consumers.values()]) {
      if (!c.cancelOnHaFailover) continue;
      c.queue.removeConsumer(c);
      this.consumerCancelledByServer(c);
    }
  }

  flushConfirms(): void {
    if (this.state === 'open') this.publisher.flushConfirms();
  }

  /** basic.consume of amq.rabbitmq.reply-to: replies reach this channel under `consumerTag`. */
  startDirectReply(consumerTag: string): void {
    const sink: DirectReplySink = { deliverReply: (message) => this.deliverReply(consumerTag, message) };
    const token = this.vhost.directReplies.register(sink);
    this.directReply = { token, consumerTag };
    this.publisher.context.directReplyToken = token;
  }

  stopDirectReply(): void {
    if (this.directReply === null) return;
    this.vhost.directReplies.unregister(this.directReply.token);
    this.directReply = null;
    this.publisher.context.directReplyToken = null;
  }

  deliverReply(consumerTag: string, message: Message): void {
    if (this.state !== 'open') return;
    this.deliveries.deliverReply(consumerTag, message);
  }
}
