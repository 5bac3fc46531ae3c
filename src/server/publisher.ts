import { notImplemented, preconditionFailed, type AmqpError } from '../amqp/errors.js';
import { ContentAssembler } from '../amqp/content-assembler.js';
import { ClassId, FrameType, ReplyCode } from '../amqp/generated/constants.js';
import { encodeBasicAck, encodeBasicNack, encodeBasicReturn, type BasicPublish } from '../amqp/generated/methods.js';
import type { Message } from '../broker/message.js';
import { PublishContext, PublishOutcome, type PreparedPublish } from '../broker/publish.js';
import type { Channel } from './channel.js';
import { connectionName } from './connection-session.js';
import { Deque } from '../util/deque.js';

/** A publish buffered inside a transaction. */
interface PendingPublish {
  prepared: PreparedPublish;
  mandatory: boolean;
}

/**
 * The publishing side of a channel: assembles basic.publish + header + body, validates the
 * message as RabbitMQ does, routes it (or buffers it in a transaction), sends basic.return for
 * unroutable mandatory messages and batches publisher confirms (one basic.ack multiple=true per
 * output flush).
 */
export class Publisher {
  private readonly assembler = new ContentAssembler();
  private exchange = '';
  private routingKey = '';
  private mandatory = false;
  private ctx: PublishContext | null = null;
  /** reused for every publish: what the broker did with it */
  private readonly outcome = new PublishOutcome();

  confirm = false;
  /** tag of the last publish in confirm mode */
  private seq = 0;
  /** publishes up to here may be confirmed (their commit is done) */
  private readyUpTo = 0;
  /** publishes up to here have a commit requested */
  private requestedUpTo = 0;
  private sentUpTo = 0;
  /** a publish since the last commit request was stored */
  private storedSince = false;
  /** commit requests not yet answered */
  private waitingCommit = 0;
  /** publishes refused by a queue (reject-publish), to nack in order */
  private readonly nacks = new Deque<number>();
  /** publishes up to here are nacked: their commit failed */
  private failedUpTo = 0;

  tx = false;
  private txPublishes: PendingPublish[] = [];

  constructor(private readonly channel: Channel) {}

  /** publishes buffered in the open transaction */
  get uncommittedCount(): number {
    return this.txPublishes.length;
  }

  /** publishes in confirm mode not yet acked or nacked */
  get unconfirmedCount(): number {
    return this.seq - this.sentUpTo;
  }

  /** who publishes (user, direct reply-to token), for the broker's publish path and the tracers */
  get context(): PublishContext {
    return (this.ctx ??= this.newContext());
  }

  private newContext(): PublishContext {
    const ctx = new PublishContext(this.channel.access);
    const s = this.channel.conn.socket;
    // The connection's name as the management API lists it (the firehose's `connection` header).
    ctx.connection = connectionName(s.remoteAddress ?? '', s.remotePort ?? 0, s.localAddress ?? '', s.localPort ?? 0);
    ctx.channel = this.channel.number;
    return ctx;
  }

  /**
   * Publishes received in confirm mode (RabbitMQ's messages_received_confirm), while the channel
   * lives; `retire` hands them to the vhost's count when it closes. Read by the Prometheus endpoint.
   */
  get receivedConfirm(): number {
    return this.retired ? 0 : this.seq;
  }

  private retired = false;

  /** The channel is closing: its confirm-mode publishes, once (then receivedConfirm is 0). */
  retire(): number {
    if (this.retired) return 0;
    this.retired = true;
    return this.seq;
  }

  /** true once the channel has published, or has publishes in its open transaction (RabbitMQ's publishing_mode; read by the Prometheus endpoint) */
  get publishing(): boolean {
    return this.channel.counters.published > 0 || this.txPublishes.length > 0;
  }

  get expectingContent(): boolean {
    return this.assembler.active;
  }

  onPublish(m: BasicPublish): void {
    if (m.immediate) throw notImplemented('immediate=true');
    this.exchange = m.exchange;
    this.routingKey = m.routingKey;
    this.mandatory = m.mandatory;
    this.assembler.start(ClassId.Basic);
  }

  /** A content header or body frame; the assembler raises RabbitMQ's 505s for frames out of order. */
  onContentFrame(type: number, payload: Buffer): void {
    if (type === FrameType.Header) {
      this.assembler.onHeader(payload);
      const size = this.assembler.bodySize;
      const max = this.channel.conn.broker.config.maxMessageSize;
      if (size > max) {
        this.assembler.reset();
        throw preconditionFailed(`message size ${size} is larger than configured max size ${max}`);
      }
      if (this.assembler.complete) this.finish();
      return;
    }
    if (this.assembler.onBody(payload)) this.finish();
  }

  /** The 505 for a method frame that arrives while content is expected. */
  unexpectedMethodError(): AmqpError {
    return this.assembler.unexpectedFrameError();
  }

  private finish(): void {
    const { properties, body } = this.assembler.take();
    const vhost = this.channel.vhost;
    if (this.tx) {
      // Checked now (errors at publish time, as RabbitMQ), routed at tx.commit.
      const prepared = vhost.preparePublish(this.context, this.exchange, this.routingKey, properties, body);
      this.txPublishes.push({ prepared, mandatory: this.mandatory });
      return;
    }
    this.report(vhost.publish(this.context, this.exchange, this.routingKey, properties, body, this.outcome), this.mandatory);
  }

  /** Translate a publish's outcome to frames: basic.return, and the confirm (ack, or nack if a queue refused it). */
  private report(out: PublishOutcome, mandatory: boolean): void {
    const counters = this.channel.counters;
    counters.published++;
    if (out.unroutable) {
      if (mandatory && out.message !== null) this.sendReturn(ReplyCode.NoRoute, 'NO_ROUTE', out.message);
      else counters.dropped++;
    }
    if (out.stored) this.storedSince = true;
    // Credit flow: stop reading this connection until the queue catches up (rest of the chunk still runs).
    if (out.congested !== null) this.channel.conn.waitForQueue(out.congested);
    if (!this.confirm) return;
    const seq = ++this.seq;
    if (out.rejected > 0) this.nacks.push(seq);
    this.channel.conn.markConfirmDirty(this.channel);
  }

  private sendReturn(replyCode: number, replyText: string, m: Message): void {
    const ch = this.channel;
    const w = ch.conn.writer;
    ch.vhost.counters.returned++;
    ch.counters.returned++;
    if (m.trace !== null) ch.vhost.tracing.event(m.trace, 'return', undefined, m.exchange, replyText);
    encodeBasicReturn(w, ch.number, { replyCode, replyText, exchange: m.exchange, routingKey: m.routingKey });
    w.writeContent(ch.number, ClassId.Basic, m.body.length, m.properties, m.body);
    ch.conn.scheduleFlush();
  }

  /**
   * At output flush: publishes whose messages were stored wait for the group commit that holds
   * them (and so does everything after them, to keep confirms in order); then acks and nacks go
   * out, one basic.ack multiple=true per run of acks.
   */
  flushConfirms(): void {
    if (this.seq > this.requestedUpTo) {
      const messages = this.channel.vhost.persistence?.messages;
      if (messages !== undefined && (this.storedSince || this.waitingCommit > 0)) {
        const upTo = this.seq;
        this.requestedUpTo = upTo;
        this.storedSince = false;
        this.waitingCommit++;
        messages.commitSoon((err) => this.committed(upTo, err));
      } else {
        this.requestedUpTo = this.readyUpTo = this.seq;
      }
    }
    this.sendConfirms();
  }

  private committed(upTo: number, err: Error | null): void {
    this.waitingCommit--;
    if (err !== null) this.failedUpTo = upTo;
    this.readyUpTo = upTo;
    if (this.channel.state !== 'open') return;
    this.sendConfirms();
    this.channel.conn.scheduleFlush();
  }

  private sendConfirms(): void {
    // A cluster leader past its lease confirms nothing (it is stepping down, its clients are being closed).
    const until = this.channel.conn.broker.confirmsUntil;
    if (until !== Infinity && Date.now() > until) return;
    const w = this.channel.conn.writer;
    const ch = this.channel.number;
    while (this.sentUpTo < this.readyUpTo) {
      if (this.failedUpTo > this.sentUpTo) {
        // Never confirm what the store did not keep.
        const upTo = Math.min(this.failedUpTo, this.readyUpTo);
        encodeBasicNack(w, ch, { deliveryTag: upTo, multiple: upTo - this.sentUpTo > 1, requeue: false });
        this.sentUpTo = upTo;
        while ((this.nacks.peek() ?? Infinity) <= upTo) this.nacks.shift();
        continue;
      }
      const nack = this.nacks.peek();
      if (nack !== undefined && nack <= this.readyUpTo) {
        if (nack - 1 > this.sentUpTo) {
          encodeBasicAck(w, ch, { deliveryTag: nack - 1, multiple: nack - 1 - this.sentUpTo > 1 });
          this.countConfirms(nack - 1 - this.sentUpTo);
        }
        encodeBasicNack(w, ch, { deliveryTag: nack, multiple: false, requeue: false });
        this.sentUpTo = nack;
        this.nacks.shift();
        continue;
      }
      encodeBasicAck(w, ch, { deliveryTag: this.readyUpTo, multiple: this.readyUpTo - this.sentUpTo > 1 });
      this.countConfirms(this.readyUpTo - this.sentUpTo);
      this.sentUpTo = this.readyUpTo;
    }
  }

  /** Confirms sent (once per basic.ack, not per message): the vhost's and the channel's, and the broker's onConfirmed hook. */
  private countConfirms(n: number): void {
    this.channel.vhost.counters.confirmed += n;
    this.channel.counters.confirmed += n;
    const confirmed = this.channel.conn.broker.onConfirmed;
    if (confirmed !== null) confirmed(n);
  }

  /** Was anything stored since the last commit request (tx.commit must wait for the store)? */
  get stored(): boolean {
    return this.storedSince;
  }

  clearStored(): void {
    this.storedSince = false;
  }

  /** tx.commit: route the buffered publishes in order. */
  commit(): void {
    const pending = this.txPublishes;
    this.txPublishes = [];
    const vhost = this.channel.vhost;
    for (const p of pending) this.report(vhost.routePrepared(p.prepared, this.outcome), p.mandatory);
  }

  rollback(): void {
    this.txPublishes = [];
  }

  reset(): void {
    this.assembler.reset();
    this.txPublishes = [];
  }
}
