import { accessRefused, notFound, notImplemented, preconditionFailed, type AmqpError } from '../amqp/errors.js';
import { decodeProperties, encodeProperties, PropertyTraits, readPropertyTraits } from '../amqp/basic-properties.js';
import { ContentAssembler } from '../amqp/content-assembler.js';
import { fieldString, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import { ClassId, FrameType, ReplyCode } from '../amqp/generated/constants.js';
import { encodeBasicAck, encodeBasicNack, encodeBasicReturn, type BasicPublish } from '../amqp/generated/methods.js';
import type { Exchange } from '../broker/exchange/exchange.js';
import { typeName } from '../broker/arguments.js';
import { validateMessageExpiration } from '../broker/queue-arguments.js';
import { Message } from '../broker/message.js';
import { DIRECT_REPLY_PREFIX } from '../broker/router.js';
import type { Channel } from './channel.js';
import { Deque } from '../util/deque.js';

export const DIRECT_REPLY_QUEUE = 'amq.rabbitmq.reply-to';

/** A publish buffered inside a transaction. */
interface PendingPublish {
  exchange: Exchange;
  message: Message;
  mandatory: boolean;
  extraRoutingKeys: string[] | undefined;
}

/**
 * The publishing side of a channel: assembles basic.publish + header + body, validates the
 * message as RabbitMQ does, routes it (or buffers it in a transaction), sends basic.return for
 * unroutable mandatory messages and batches publisher confirms (one basic.ack multiple=true per
 * output flush).
 */
export class Publisher {
  private readonly assembler = new ContentAssembler();
  private readonly traits = new PropertyTraits();
  private exchange = '';
  private routingKey = '';
  private mandatory = false;
  /** last exchange looked up, to skip the map on repeated publishes */
  private cached: Exchange | null = null;

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

  private lookupExchange(name: string): Exchange {
    const cached = this.cached;
    if (cached !== null && cached.name === name && !cached.deleted) return cached;
    const vhost = this.channel.vhost;
    const x = vhost.exchanges.get(name);
    if (x === undefined) throw notFound(`no exchange '${name}' in vhost '${vhost.name}'`);
    this.cached = x;
    return x;
  }

  private finish(): void {
    let { properties, body } = this.assembler.take();
    const x = this.lookupExchange(this.exchange);
    if (x.internal) {
      throw accessRefused(`cannot publish to internal exchange '${x.name}' in vhost '${this.channel.vhost.name}'`);
    }
    const traits = this.traits;
    readPropertyTraits(properties, traits);
    if (traits.expiration !== undefined) validateMessageExpiration(traits.expiration);
    const user = this.channel.conn.user;
    if (traits.userId !== undefined && traits.userId !== user) {
      throw preconditionFailed(`user_id property set to '${traits.userId}' but authenticated user was '${user}'`);
    }
    let headers: FieldTable | undefined;
    let extraRoutingKeys: string[] | undefined;
    if (traits.hasHeaders || traits.replyTo === DIRECT_REPLY_QUEUE) {
      const props = decodeProperties(properties);
      let rewrite = false;
      headers = props.headers;
      if (headers !== undefined) {
        extraRoutingKeys = routingKeysOf('BCC', headers['BCC'], routingKeysOf('CC', headers['CC'], undefined));
        if (headers['BCC'] !== undefined) {
          // BCC recipients are not revealed: the header is removed before delivery.
          const { BCC: _bcc, ...rest } = headers;
          headers = props.headers = rest;
          rewrite = true;
        }
      }
      if (props.replyTo === DIRECT_REPLY_QUEUE) {
        props.replyTo = DIRECT_REPLY_PREFIX + this.channel.directReplyToken();
        rewrite = true;
      }
      if (rewrite) properties = encodeProperties(props);
    }
    const message = new Message(
      this.exchange,
      this.routingKey,
      properties,
      body,
      headers,
      traits.deliveryMode === 2,
      traits.priority,
      traits.expiration,
    );
    if (this.tx) {
      this.txPublishes.push({ exchange: x, message, mandatory: this.mandatory, extraRoutingKeys });
      return;
    }
    this.route(x, message, this.mandatory, extraRoutingKeys);
  }

  private route(x: Exchange, message: Message, mandatory: boolean, extraRoutingKeys: string[] | undefined): void {
    const vhost = this.channel.vhost;
    const routed = vhost.publish(x, message, extraRoutingKeys);
    if (routed === 0 && mandatory) this.sendReturn(ReplyCode.NoRoute, 'NO_ROUTE', message);
    if (message.storeId !== 0) this.storedSince = true;
    if (!this.confirm) return;
    const seq = ++this.seq;
    if (vhost.router.rejected > 0) this.nacks.push(seq);
    this.channel.conn.markConfirmDirty(this.channel);
  }

  private sendReturn(replyCode: number, replyText: string, m: Message): void {
    const ch = this.channel;
    const w = ch.conn.writer;
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
        }
        encodeBasicNack(w, ch, { deliveryTag: nack, multiple: false, requeue: false });
        this.sentUpTo = nack;
        this.nacks.shift();
        continue;
      }
      encodeBasicAck(w, ch, { deliveryTag: this.readyUpTo, multiple: this.readyUpTo - this.sentUpTo > 1 });
      this.sentUpTo = this.readyUpTo;
    }
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
    for (const p of pending) this.route(p.exchange, p.message, p.mandatory, p.extraRoutingKeys);
  }

  rollback(): void {
    this.txPublishes = [];
  }

  reset(): void {
    this.assembler.reset();
    this.txPublishes = [];
  }
}

/** CC / BCC header values: an array of routing keys; anything else is refused as RabbitMQ does. */
function routingKeysOf(name: string, v: FieldValue | undefined, into: string[] | undefined): string[] | undefined {
  if (v === undefined) return into;
  if (!Array.isArray(v)) throw preconditionFailed(`invalid message: {unacceptable_type_in_header,"${name}",${typeName(v)}}`);
  for (const item of v) {
    const key = fieldString(item);
    if (key !== undefined) (into ??= []).push(key);
  }
  return into;
}
