/**
 * Exchange types by name. Each type is a factory of RoutingTables; the four AMQP types are
 * registered when this module loads, and plug-ins may add (or replace) types with registerExchangeType.
 */
import { DirectRoutingTable } from './direct.js';
import { FanoutRoutingTable } from './fanout.js';
import { HeadersRoutingTable } from './headers.js';
import type { RoutingTable } from './routing-table.js';
import { TopicRoutingTable } from './topic.js';

export type RoutingTableFactory = <T>() => RoutingTable<T>;

const factories = new Map<string, RoutingTableFactory>();

/** Register a type; registering a name again replaces its factory. */
export function registerExchangeType(type: string, factory: RoutingTableFactory): void {
  factories.set(type, factory);
}

export function exchangeTypeFactory(type: string): RoutingTableFactory | undefined {
  return factories.get(type);
}

/** Registered type names, in registration order. */
export function exchangeTypes(): string[] {
  return [...factories.keys()];
}

registerExchangeType('direct', <T>() => new DirectRoutingTable<T>());
registerExchangeType('fanout', <T>() => new FanoutRoutingTable<T>());
registerExchangeType('topic', <T>() => new TopicRoutingTable<T>());
registerExchangeType('headers', <T>() => new HeadersRoutingTable<T>());
