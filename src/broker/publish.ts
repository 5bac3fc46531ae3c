import { accessRefused, notFound, preconditionFailed } from '../amqp/errors.js';
import { fieldString, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import { typeName } from './arguments.js';
import { DIRECT_REPLY_PREFIX, DIRECT_REPLY_QUEUE } from './direct-reply.js';
import type { Exchange } from './exchange/exchange.js';
import { Message } from './message.js';
import type { MessageTraits, PropertiesCodec } from './properties-codec.js';
import { PublishOutcome } from './publish-outcome.js';
import { validateMessageExpiration } from './queue-arguments.js';
import { TRUSTED, type AccessCheck } from './auth/access.js';
import type { Router } from './router.js';
import type { TraceOrigin } from './tracing/message-tracer.js';
import type { VhostTracing } from './tracing/vhost-tracing.js';

export { PublishOutcome };

/**
 * Who publishes, once per channel (or HTTP request): the user's access (write permission,
 * user_id must match unless impersonator) and the token of the publisher's direct reply-to
 * consumer, if it has one. Also caches the last exchange looked up and found writable, so
 * repeated publishes skip the map and the permission check until permissions change. It is also
 * the origin the firehose names (connection, channel, user).
 */
export class PublishContext implements TraceOrigin {
  directReplyToken: string | null = null;
  /** the publisher's connection name and channel number, for tracing ('' and 0: the HTTP API) */
  connection = '';
  channel = 0;
  /** last exchange looked up */
  cached: Exchange | null = null;
  /** access.version when `cached` was checked */
  private checkedVersion = -1;
  /** scratch for the property traits of the message being published */
  readonly traits: MessageTraits = {
    deliveryMode: 0,
    priority: -1,
    expiration: undefined,
    userId: undefined,
    replyTo: undefined,
    hasHeaders: false,
  };

  constructor(readonly access: AccessCheck = TRUSTED) {}

  get user(): string {
    return this.access.userName;
  }

  /** The exchange `name` if it is the cached one and permissions have not changed since its check. */
  hit(name: string): Exchange | null {
    const x = this.cached;
    return x !== null && x.name === name && !x.deleted && this.checkedVersion === this.access.version ? x : null;
  }

  remember(x: Exchange): void {
    this.cached = x;
    this.checkedVersion = this.access.version;
  }
}

/** A validated publish, ready to route (now, or at tx.commit). */
export interface PreparedPublish {
  readonly exchange: Exchange;
  readonly message: Message;
  readonly origin: TraceOrigin;
}

/** What the publish path needs of its vhost. */
export interface PublishScope {
  readonly name: string;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly router: Router;
  readonly codec: PropertiesCodec;
  readonly tracing: VhostTracing;
}

/**
 * The one publish path of the broker, used by AMQP's basic.publish, the HTTP API's publish and
 * replication alike. prepare() checks what RabbitMQ checks before routing (exchange exists and is
 * not internal, expiration, user_id), applies CC/BCC (BCC removed) and rewrites a direct reply-to
 * reply_to; route() routes and enqueues and reports a PublishOutcome.
 */
export class Publishing {
  constructor(private readonly scope: PublishScope) {}

  publish(ctx: PublishContext, exchange: string, routingKey: string, properties: Buffer, body: Buffer, out: PublishOutcome): PublishOutcome {
    const x = this.exchange(ctx, exchange, routingKey);
    const m = this.message(ctx, x, routingKey, properties, body);
    if (this.scope.tracing.active) return this.traced(x, m, out, ctx);
    return counted(x, this.scope.router.route(x, m, out));
  }

  /** Validate now, route later (a transaction). */
  prepare(ctx: PublishContext, exchange: string, routingKey: string, properties: Buffer, body: Buffer): PreparedPublish {
    const x = this.exchange(ctx, exchange, routingKey);
    return { exchange: x, message: this.message(ctx, x, routingKey, properties, body), origin: ctx };
  }

  route(p: PreparedPublish, out: PublishOutcome): PublishOutcome {
    if (this.scope.tracing.active) return this.traced(p.exchange, p.message, out, p.origin);
    return counted(p.exchange, this.scope.router.route(p.exchange, p.message, out));
  }

  /** Route with tracing on: the tracers see the publish before routing and its queues after. */
  private traced(x: Exchange, m: Message, out: PublishOutcome, origin: TraceOrigin): PublishOutcome {
    const tracing = this.scope.tracing;
    tracing.publish(m, x, origin);
    counted(x, this.scope.router.route(x, m, out));
    tracing.routed(m, x, out, origin);
    return out;
  }

  /**
   * The exchange to publish to, checked in RabbitMQ's order: write permission on it (the default
   * exchange as 'amq.default'), it exists, it is not internal, and on a topic exchange the write
   * topic permission for the routing key.
   */
  private exchange(ctx: PublishContext, name: string, routingKey: string): Exchange {
    let x = ctx.hit(name);
    if (x === null) {
      ctx.access.check('exchange', name, 'write');
      x = this.scope.exchanges.get(name) ?? null;
      if (x === null) throw notFound(`no exchange '${name}' in vhost '${this.scope.name}'`);
      ctx.remember(x);
    }
    if (x.internal) throw accessRefused(`cannot publish to internal exchange '${x.name}' in vhost '${this.scope.name}'`);
    if (x.type === 'topic') ctx.access.checkTopic(x, routingKey, 'write');
    return x;
  }

  /** The message as routed: property checks, CC/BCC and reply-to rewriting. */
  private message(ctx: PublishContext, x: Exchange, routingKey: string, properties: Buffer, body: Buffer): Message {
    const codec = this.scope.codec;
    const traits = ctx.traits;
    codec.readTraits(properties, traits);
    // RabbitMQ's order: the direct reply-to consumer, user_id, expiration, then CC/BCC.
    if (traits.replyTo === DIRECT_REPLY_QUEUE && ctx.directReplyToken === null) {
      throw preconditionFailed('fast reply consumer does not exist');
    }
    if (traits.userId !== undefined && traits.userId !== ctx.user && !ctx.access.impersonator) {
      throw preconditionFailed(`user_id property set to '${traits.userId}' but authenticated user was '${ctx.user}'`);
    }
    if (traits.expiration !== undefined) validateMessageExpiration(traits.expiration);
    let headers: FieldTable | undefined;
    let cc: string[] | undefined;
    if (traits.hasHeaders || traits.replyTo === DIRECT_REPLY_QUEUE) {
      const props = codec.decode(properties);
      let rewrite = false;
      headers = props.headers;
      if (headers !== undefined) {
        cc = routingKeysOf('BCC', headers['BCC'], routingKeysOf('CC', headers['CC'], undefined));
        if (headers['BCC'] !== undefined) {
          // BCC recipients are not revealed: the header is removed before delivery.
          const { BCC: _bcc, ...rest } = headers;
          headers = props.headers = rest;
          rewrite = true;
        }
      }
      if (props.replyTo === DIRECT_REPLY_QUEUE && ctx.directReplyToken !== null) {
        props.replyTo = DIRECT_REPLY_PREFIX + ctx.directReplyToken;
        rewrite = true;
      }
      if (rewrite) properties = codec.encode(props);
    }
    const message = new Message(x.name, routingKey, properties, body, headers, traits.deliveryMode === 2, traits.priority, traits.expiration);
    message.ccRoutingKeys = cc;
    return message;
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

/** A client publish, counted on its exchange (the management API's publish_in and publish_out). */
function counted(x: Exchange, out: PublishOutcome): PublishOutcome {
  const c = x.counters;
  c.published++;
  if (out.routed === 0) c.unroutable++;
  else {
    c.routed++;
    c.publishedOut += out.routed;
  }
  return out;
}
