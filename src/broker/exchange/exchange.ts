import type { FieldTable } from '../../amqp/field-types.js';
import { fieldString } from '../../amqp/field-types.js';
import type { Binding, Destination } from '../binding.js';
import type { RoutingTable } from './routing-table.js';
import type { DelayedMessages } from '../delayed-messages.js';

export interface ExchangeOptions {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: FieldTable;
}

/**
 * Message counters of an exchange (management API's publish_in / publish_out), bumped in place
 * by the publish path: client publishes only (AMQP, HTTP), as RabbitMQ counts them per channel;
 * dead-lettering and delayed releases route without counting.
 */
export class ExchangeCounters {
  /** messages published to it */
  published = 0;
  /** of those, routed to at least one queue */
  routed = 0;
  /** of those, routed nowhere (returned if mandatory, else dropped) */
  unroutable = 0;
  /** copies routed out: one per queue a message reached (RabbitMQ's publish_out) */
  publishedOut = 0;
}

/**
 * An exchange: metadata, the bindings it holds, and a routing table of its type (a plug-in
 * from the registry). Routing across exchange-to-exchange bindings happens in Router.
 */
export class Exchange {
  readonly kind = 'exchange' as const;
  readonly counters = new ExchangeCounters();
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly arguments: FieldTable;
  /** where unroutable messages go: the alternate-exchange argument, else the policy's */
  alternateExchange: string | undefined;
  /** bindings from this exchange, by identity key */
  readonly outbound = new Map<string, Binding>();
  /** bindings that point at this exchange (exchange-to-exchange) */
  readonly bindings = new Set<Binding>();
  deleted = false;
  /** x-delayed-message exchanges: messages waiting for their x-delay */
  delayed: DelayedMessages | null = null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly type: string,
    readonly table: RoutingTable<Destination>,
    options: ExchangeOptions,
  ) {
    this.durable = options.durable;
    this.autoDelete = options.autoDelete;
    this.internal = options.internal;
    this.arguments = options.arguments;
    this.alternateExchange = fieldString(options.arguments['alternate-exchange']);
  }

  addBinding(binding: Binding): boolean {
    if (this.outbound.has(binding.key)) return false;
    this.outbound.set(binding.key, binding);
    this.table.add(binding.routingKey, binding.args, binding.destination);
    binding.destination.bindings.add(binding);
    return true;
  }

  removeBinding(binding: Binding): void {
    if (!this.outbound.delete(binding.key)) return;
    this.table.remove(binding.routingKey, binding.args, binding.destination);
    binding.destination.bindings.delete(binding);
  }
}
