/**
 * GET /api/overview, /api/whoami, /api/cluster-name (rabbit_mgmt_wm_overview, _whoami,
 * _cluster_name). Message stats and queue totals, with their rates, are summed over the vhosts
 * the user sees (../stats.ts); rates_mode is "basic", RabbitMQ's default. churn_rates are empty.
 */
import { WARREN_VERSION } from '../../server/handshake.js';
import { exchangeTypes } from '../../broker/exchange/registry.js';
import { DELAYED_EXCHANGE_TYPE } from '../../broker/vhost.js';
import { isMonitor, visibleVhosts } from '../auth.js';
import { RABBITMQ_VERSION, type Json } from '../format.js';
import type { ApiContext, ApiRequest, Resource } from '../router.js';
import { CLUSTER_NAME_SCHEMA } from './parameters.js';
import { overviewStats } from '../stats.js';
import { rangesOf } from '../stats-range.js';

/** RabbitMQ's descriptions of the exchange types (each type module's description/0). */
const DESCRIPTIONS: Record<string, string> = {
  direct: 'AMQP direct exchange, as per the AMQP specification',
  fanout: 'AMQP fanout exchange, as per the AMQP specification',
  headers: 'AMQP headers exchange, as per the AMQP specification',
  topic: 'AMQP topic exchange, as per the AMQP specification',
  [DELAYED_EXCHANGE_TYPE]: 'Delayed Message Exchange.',
};

export function exchangeTypesJson(): Json[] {
  const names = [...new Set([...exchangeTypes(), DELAYED_EXCHANGE_TYPE])].sort();
  return names.map((name) => ({ name, description: DESCRIPTIONS[name] ?? '', enabled: true }));
}

/** Queue and object totals over the vhosts the user sees (all of them for monitors). */
function totals(req: ApiRequest, ctx: ApiContext): { object_totals: Json } {
  const { broker } = ctx;
  let queues = 0;
  let exchanges = 0;
  let consumers = 0;
  for (const name of visibleVhosts(broker, req.user)) {
    const v = broker.vhosts.get(name);
    if (v === undefined) continue;
    exchanges += v.exchanges.size;
    for (const q of v.queues.values()) {
      queues++;
      consumers += q.consumerCount;
    }
  }
  // Monitors see the node's connections and channels; others only their own (RabbitMQ's get_overview(User)).
  const monitor = isMonitor(req.user);
  const s = broker.sessions;
  return {
    object_totals: {
      channels: monitor ? s.channels : s.channelsOf(req.user.name),
      connections: monitor ? s.connections : s.connectionsOf(req.user.name),
      consumers,
      exchanges,
      queues,
    },
  };
}

function overview(req: ApiRequest, ctx: ApiContext): Record<string, Json> {
  const { broker } = ctx;
  const vhosts = visibleVhosts(broker, req.user).flatMap((name) => broker.vhosts.get(name) ?? []);
  const stats = overviewStats(vhosts, rangesOf(req.query));
  const out: Record<string, Json> = {
    management_version: RABBITMQ_VERSION,
    rates_mode: 'basic',
    sample_retention_policies: { global: [], basic: [], detailed: [] },
    exchange_types: exchangeTypesJson(),
    product_version: WARREN_VERSION,
    product_name: 'Warren',
    rabbitmq_version: RABBITMQ_VERSION,
    cluster_name: ctx.broker.clusterName,
    disable_stats: false,
    enable_queue_totals: false,
    message_stats: stats.message_stats,
    churn_rates: {},
    queue_totals: stats.queue_totals,
    ...totals(req, ctx),
    statistics_db_event_queue: 0,
  };
  if (!isMonitor(req.user)) return out;
  const node = ctx.node.name;
  const listeners = [...ctx.node.listeners()]
    .sort((a, b) => a.protocol.localeCompare(b.protocol) || a.port - b.port)
    .map((l) => ({ node, protocol: l.protocol, ip_address: l.ipAddress, port: l.port, socket_opts: {} }));
  return { ...out, node, listeners, contexts: [] };
}

export const overviewResources: readonly Resource[] = [
  { path: '/api/overview', auth: 'any', get: overview },
  { path: '/api/whoami', auth: 'any', get: (req) => ({ name: req.user.name, tags: [...req.user.tags] }) },
  {
    path: '/api/cluster-name',
    auth: { GET: 'any', PUT: 'admin' },
    exists: () => true,
    get: (_req, ctx) => ({ name: ctx.broker.clusterName }),
    // rabbit_nodes:set_cluster_name: the cluster_name global parameter.
    put: { schema: CLUSTER_NAME_SCHEMA, handle: (req, ctx) => ctx.broker.globalParameters.set('cluster_name', (req.body as { name: string }).name) },
  },
];
