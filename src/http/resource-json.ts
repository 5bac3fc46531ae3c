/**
 * Exchanges, queues and bindings as RabbitMQ 3.10's management API shows them
 * (rabbit_mgmt_format:exchange, queue, binding): fields in RabbitMQ's order, the default exchange
 * named '' and, among a vhost's bindings, the implicit ones from the default exchange to every
 * queue. Statistics Warren does not keep (garbage collection) are left out; message rates and
 * message_stats are added by the stats code. Queues: queue-json.ts.
 */
import type { Binding } from '../broker/binding.js';
import type { Exchange } from '../broker/exchange/exchange.js';
import type { PolicyRegistry } from '../broker/policy.js';
import type { Queue } from '../broker/queue/queue.js';
import type { Vhost } from '../broker/vhost.js';
import { packBindingProps } from './binding-props.js';
import { exchangeStats } from './stats.js';
import type { Ranges } from './stats-range.js';

/** Queues moved to queue-json.ts; re-exported for code that imports them from here. */
export { queueJson } from './queue-json.js';
import { byFields, tableToJson, type Json } from './format.js';

type Obj = Record<string, Json>;

export function exchangeJson(x: Exchange, policies: PolicyRegistry, ranges?: Ranges): Obj {
  const out: Obj = {
    arguments: tableToJson(x.arguments),
    auto_delete: x.autoDelete,
    durable: x.durable,
    internal: x.internal,
    name: x.name,
  };
  const { policy } = x.name === '' ? { policy: undefined } : policies.match(x.vhost, x.name, 'exchange', 'classic');
  if (policy !== undefined) out['policy'] = policy.name;
  out['type'] = x.type;
  out['vhost'] = x.vhost;
  // RabbitMQ shows message_stats on an exchange once messages have gone through it.
  const stats = exchangeStats(x, ranges)['message_stats'] as Obj;
  if (Object.values(stats).some((v) => typeof v === 'number' && v > 0)) out['message_stats'] = stats;
  return out;
}

export function bindingJson(vhost: string, source: string, destination: string, kind: 'queue' | 'exchange', routingKey: string, args: Binding['args']): Obj {
  return {
    source,
    vhost,
    destination,
    destination_type: kind,
    routing_key: routingKey,
    arguments: tableToJson(args),
    properties_key: packBindingProps(routingKey, args),
  };
}

export const explicitBindingJson = (b: Binding): Obj =>
  bindingJson(b.source.vhost, b.source.name, b.destination.name, b.destination.kind, b.routingKey, b.args);

/** The implicit binding of the default exchange to a queue, by the queue's name. */
export const defaultBindingJson = (q: Queue): Obj => bindingJson(q.vhost, '', q.name, 'queue', q.name, {});

/** RabbitMQ's default order of binding lists. */
export const byBinding = byFields('vhost', 'source', 'destination', 'routing_key', 'properties_key');

/** Every binding of a vhost, the default exchange's included. */
export function vhostBindings(v: Vhost): Obj[] {
  const out: Obj[] = [...v.queues.values()].map(defaultBindingJson);
  for (const x of v.exchanges.values()) for (const b of x.outbound.values()) out.push(explicitBindingJson(b));
  return out;
}

/** Sort a list by vhost, then name (RabbitMQ's default for exchanges and queues). */
export const byVhostName = byFields('vhost', 'name');
