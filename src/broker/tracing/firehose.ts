import type { FieldTable, FieldValue } from '../../amqp/field-types.js';
import type { Exchange } from '../exchange/exchange.js';
import { Message } from '../message.js';
import { PublishOutcome } from '../publish-outcome.js';
import type { Queue } from '../queue/queue.js';
import type { MessageTracer, TraceFollower, TraceOrigin } from './message-tracer.js';
import type { TracingScope } from './vhost-tracing.js';

/** The exchange every vhost has for its firehose: internal, durable, topic (RabbitMQ's rabbit_vhost). */
export const TRACE_EXCHANGE = 'amq.rabbitmq.trace';

/** Basic property names as RabbitMQ's P_basic record names them, in the codec's camelCase. */
const PROPERTY_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
  ['clusterId', 'cluster_id'],
];

/**
 * RabbitMQ's firehose (rabbit_trace): while on, every publish in the vhost is copied to
 * amq.rabbitmq.trace with routing key `publish.<exchange>` and every delivery or get with
 * `deliver.<queue>`. A copy has the original body and only a headers property: exchange_name,
 * routing_keys (routing key, then CC and BCC), properties (the original's set properties, by
 * RabbitMQ's names; integers signedint, strings longstr, headers a table), node, then for a publish
 * vhost, connection, channel, user, routed_queues, and for a delivery redelivered (0/1), vhost,
 * connection, channel, user. Messages of the trace exchange itself are never traced.
 */
export class Firehose implements MessageTracer {
  private readonly out = new PublishOutcome();

  constructor(
    private readonly scope: TracingScope,
    private readonly node: string,
  ) {}

  publish(): TraceFollower | null {
    return null;
  }

  routed(m: Message, x: Exchange, queues: readonly string[], origin: TraceOrigin): void {
    this.emit(m, `publish.${x.name}`, {
      vhost: this.scope.name,
      connection: origin.connection,
      channel: origin.channel,
      user: origin.user,
      routed_queues: [...queues],
    });
  }

  delivered(m: Message, q: Queue, redelivered: boolean, _consumerTag: string | null, origin: TraceOrigin): void {
    this.emit(m, `deliver.${q.name}`, {
      redelivered: redelivered ? 1 : 0,
      vhost: this.scope.name,
      connection: origin.connection,
      channel: origin.channel,
      user: origin.user,
    });
  }

  private emit(m: Message, routingKey: string, extra: FieldTable): void {
    if (m.exchange === TRACE_EXCHANGE) return;
    const x = this.scope.exchanges.get(TRACE_EXCHANGE);
    if (x === undefined) return;
    const headers: FieldTable = {
      exchange_name: m.exchange,
      routing_keys: [m.routingKey, ...(m.ccRoutingKeys ?? [])],
      properties: this.propertiesTable(m.properties),
      node: this.node,
      ...extra,
    };
    const copy = new Message(TRACE_EXCHANGE, routingKey, this.scope.codec.encode({ headers }), m.body, headers, false, -1, undefined);
    this.scope.router.route(x, copy, this.out);
  }

  private propertiesTable(raw: Buffer): FieldTable {
    const props = this.scope.codec.decode(raw);
    const table: FieldTable = {};
    for (const [key, name] of PROPERTY_NAMES) {
      const v = props[key];
      if (v !== undefined) table[name] = v as FieldValue;
    }
    return table;
  }
}
