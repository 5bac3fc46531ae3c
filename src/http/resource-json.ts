/**
 * Exchanges, queues and bindings as RabbitMQ 3.10's management API shows them
 * (rabbit_mgmt_format:exchange, queue, binding): fields in RabbitMQ's order, the default exchange
 * named '' and, among a vhost's bindings, the implicit ones from the default exchange to every
 * queue. Statistics Warren does not keep (memory, garbage collection, rates) are left out; message
 * rates and message_stats are added by the stats code.
 */
import type { Binding } from '../broker/binding.js';
import type { Exchange } from '../broker/exchange/exchange.js';
import type { PolicyRegistry } from '../broker/policy.js';
import type { Queue } from '../broker/queue/queue.js';
import type { Vhost } from '../broker/vhost.js';
import { packBindingProps } from './binding-props.js';
import { exchangeStats, queueStats } from './stats.js';
import { byFields, tableToJson, type Json } from './format.js';

type Obj = Record<string, Json>;

export function exchangeJson(x: Exchange, policies: PolicyRegistry): Obj {
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
  const stats = exchangeStats(x)['message_stats'] as Obj;
  if (Object.values(stats).some((v) => typeof v === 'number' && v > 0)) out['message_stats'] = stats;
  return out;
}

/**
 * A queue with its message counts. messages_unacknowledged counts deliveries awaiting an ack;
 * message_bytes_ready is the ready messages' body bytes (Warren does not size unacked ones).
 */
export function queueJson(q: Queue, node: string): Obj {
  const s = q.settings;
  const ready = q.messageCount;
  const unacked = q.unackedCount;
  const out: Obj = {
    arguments: tableToJson(q.arguments),
    auto_delete: q.autoDelete,
    consumers: q.consumerCount,
    durable: q.durable,
    effective_policy_definition: s.definition as Obj,
    exclusive: q.exclusiveOwner !== null,
    message_bytes_ready: q.messageBytes,
    messages: ready + unacked,
    messages_paged_out: q.pagedCount,
    messages_ready: ready,
    messages_unacknowledged: unacked,
    name: q.name,
    node,
    operator_policy: s.operatorPolicy ?? null,
    policy: s.policy ?? null,
    state: 'running',
    type: q.type,
    vhost: q.vhost,
    ...queueStats(q),
  };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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
