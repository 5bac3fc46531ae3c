/**
 * GET /api/definitions[/{vhost}] in RabbitMQ's format (rabbit_mgmt_wm_definitions): what Warren
 * has of users, vhosts, permissions, topic permissions, policies, queues, exchanges and bindings,
 * with operator policies and vhost limits as the runtime parameters RabbitMQ stores them as
 * (components "operator_policy" and "vhost-limits"). Left out, as RabbitMQ leaves them out:
 * exclusive queues, the default exchange and amq.* exchanges, bindings from the default exchange
 * and bindings to queues not exported. Vhosts carry their description, tags, default queue type
 * and metadata, as RabbitMQ 3.13's exports do (3.10 exports only names), so they survive a round trip.
 */
import type { Broker } from '../../broker/broker.js';
import type { Vhost } from '../../broker/vhost.js';
import { WARREN_VERSION } from '../../server/handshake.js';
import { byFields, permissionJson, sortedKeys, policyJson, RABBITMQ_VERSION, tableToJson, topicPermissionJson, userJson, type Json } from '../format.js';

type Obj = Record<string, Json>;

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function vhostDefinition(v: Vhost): Obj {
  const m = v.metadata;
  const metadata: Obj = { description: m.description ?? '', tags: [...(m.tags ?? [])] };
  if (m.defaultQueueType !== undefined) metadata['default_queue_type'] = m.defaultQueueType;
  const out: Obj = { name: v.name, description: m.description ?? '', tags: [...(m.tags ?? [])] };
  if (m.defaultQueueType !== undefined) out['default_queue_type'] = m.defaultQueueType;
  out['metadata'] = metadata;
  return out;
}

/** Operator policies and vhost limits, as RabbitMQ exports them: runtime parameters. */
function parameters(broker: Broker, vhosts: readonly Vhost[]): Obj[] {
  const out: Obj[] = [];
  for (const v of vhosts) {
    for (const p of broker.policies.list(v.name, true)) {
      out.push({
        value: { pattern: p.pattern, definition: p.definition as Obj, priority: p.priority, 'apply-to': p.applyTo },
        vhost: p.vhost,
        component: 'operator_policy',
        name: p.name,
      });
    }
    if (Object.keys(v.limits).length > 0) out.push({ value: sortedKeys(v.limits), vhost: v.name, component: 'vhost-limits', name: 'limits' });
  }
  return out;
}

function queues(vhosts: readonly Vhost[]): Obj[] {
  return vhosts.flatMap((v) =>
    [...v.queues.values()]
      .filter((q) => q.exclusiveOwner === null)
      .sort(byName)
      .map((q) => ({ name: q.name, vhost: v.name, durable: q.durable, auto_delete: q.autoDelete, arguments: tableToJson(q.arguments) })),
  );
}

const exported = (name: string): boolean => name !== '' && !name.startsWith('amq.');

function exchanges(vhosts: readonly Vhost[]): Obj[] {
  return vhosts.flatMap((v) =>
    [...v.exchanges.values()]
      .filter((x) => exported(x.name))
      .sort(byName)
      .map((x) => ({
        name: x.name,
        vhost: v.name,
        type: x.type,
        durable: x.durable,
        auto_delete: x.autoDelete,
        internal: x.internal,
        arguments: tableToJson(x.arguments),
      })),
  );
}

function bindings(vhosts: readonly Vhost[]): Obj[] {
  const out: Obj[] = [];
  for (const v of vhosts) {
    for (const x of [...v.exchanges.values()].sort(byName)) {
      if (x.name === '') continue;
      for (const b of x.outbound.values()) {
        const d = b.destination;
        if (d.kind === 'queue' ? d.exclusiveOwner !== null : d.name === '') continue;
        out.push({
          source: x.name,
          vhost: v.name,
          destination: d.name,
          destination_type: d.kind,
          routing_key: b.routingKey,
          arguments: tableToJson(b.args),
        });
      }
    }
  }
  return out;
}

function vhostObjects(broker: Broker, vhosts: readonly Vhost[]): Obj {
  return {
    parameters: parameters(broker, vhosts),
    policies: vhosts.flatMap((v) => broker.policies.list(v.name, false).map(policyJson)),
    queues: queues(vhosts),
    exchanges: exchanges(vhosts),
    bindings: bindings(vhosts),
  };
}

/** The whole broker's definitions. */
export function exportDefinitions(broker: Broker): Obj {
  const vhosts = [...broker.vhosts.values()].sort(byName);
  const order = byFields('user', 'vhost', 'exchange');
  const { parameters: params, ...rest } = vhostObjects(broker, vhosts);
  return {
    rabbit_version: RABBITMQ_VERSION,
    rabbitmq_version: RABBITMQ_VERSION,
    product_name: 'Warren',
    product_version: WARREN_VERSION,
    users: broker.users.list().sort(byName).map(userJson),
    vhosts: vhosts.map(vhostDefinition),
    permissions: broker.permissions
      .list()
      .map(({ user, vhost, permissions }) => permissionJson(user, vhost, permissions))
      .sort(order),
    topic_permissions: broker.permissions
      .listTopics()
      .map(({ user, vhost, permissions }) => topicPermissionJson(user, vhost, permissions))
      .sort(order),
    parameters: params as Json,
    global_parameters: broker.globalParameters.list().map((p) => ({ name: p.name, value: p.value as Json })),
    ...rest,
  };
}

/** One vhost's definitions, without vhost fields (RabbitMQ's GET /api/definitions/{vhost}). */
export function exportVhostDefinitions(broker: Broker, vhost: Vhost): Obj {
  const all = vhostObjects(broker, [vhost]);
  const strip = (list: Json): Json => (list as Obj[]).map(({ vhost: _v, ...rest }) => rest);
  return {
    rabbit_version: RABBITMQ_VERSION,
    parameters: all['parameters'] as Json,
    // RabbitMQ keeps the vhost in parameters and policies here, and strips it from the rest.
    policies: all['policies'] as Json,
    queues: strip(all['queues'] as Json),
    exchanges: strip(all['exchanges'] as Json),
    bindings: strip(all['bindings'] as Json),
  };
}
