/**
 * /api/nodes, /api/nodes/{node}, /api/extensions (rabbit_mgmt_wm_nodes, _node, _extensions,
 * RabbitMQ 3.10.8). Warren is one node: its resource alarms (memory, disk) and the process's
 * figures stand where RabbitMQ reports the Erlang VM's. Figures with no Node.js counterpart keep
 * RabbitMQ's defaults (proc_total, net_ticktime) or are left out (GC and I/O counters, rates).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Json } from '../format.js';
import { BY_VHOST_NAME } from '../list-query.js';
import { param, type ApiContext, type Resource } from '../router.js';
import { exchangeTypesJson } from './overview.js';

/** RabbitMQ's default Erlang process limit, reported as proc_total. */
const PROC_TOTAL = 1_048_576;

/** Open file descriptors of this process (Linux /proc), or 0 where that cannot be read. */
export function fdUsed(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one reading the directory
  } catch {
    return 0;
  }
}

/** The soft limit on open files (Linux /proc), or 1024. */
export function fdTotal(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? 1024 : Number(m[1]);
  } catch {
    return 1024;
  }
}

/** RabbitMQ keeps 100 descriptors for files and allows 90% of the rest to sockets. */
export const socketsTotal = (fdLimit: number): number => Math.max(0, Math.ceil((fdLimit - 100) * 0.9));

const AUTH_MECHANISMS: Json[] = [
  { name: 'AMQPLAIN', description: 'QPid AMQPLAIN mechanism', enabled: true },
  { name: 'PLAIN', description: 'SASL PLAIN authentication mechanism', enabled: true },
];

export function nodeJson(ctx: ApiContext): Record<string, Json> {
  const { broker, node } = ctx;
  const alarms = broker.alarms;
  const state = alarms.state;
  const total = fdTotal();
  const contexts = node
    .listeners()
    .filter((l) => l.protocol === 'http' || l.protocol === 'https')
    .map((l) => ({ description: 'RabbitMQ Management', path: '/', port: String(l.port), ...(l.protocol === 'https' ? { ssl: 'true' } : {}) }));
  return {
    partitions: [],
    os_pid: String(process.pid),
    fd_total: total,
    sockets_total: socketsTotal(total),
    mem_limit: alarms.memoryLimit,
    mem_alarm: state.memory,
    disk_free_limit: alarms.diskFreeLimit,
    disk_free_alarm: state.disk,
    proc_total: PROC_TOTAL,
    rates_mode: 'none',
    uptime: Math.round(process.uptime() * 1000),
    run_queue: 0,
    processors: availableParallelism(),
    exchange_types: exchangeTypesJson(),
    auth_mechanisms: AUTH_MECHANISMS,
    applications: [],
    contexts,
    log_files: [],
    db_dir: alarms.dir,
    config_files: [],
    net_ticktime: 60,
    enabled_plugins: ['rabbitmq_management'],
    mem_calculation_strategy: 'rss',
    name: node.name,
    type: 'disc',
    running: true,
    mem_used: alarms.memoryUsed >= 0 ? alarms.memoryUsed : process.memoryUsage.rss(),
    fd_used: fdUsed(),
    sockets_used: broker.sessions.connections,
    // Node's live handles and requests: the nearest thing to Erlang processes.
    proc_used: process.getActiveResourcesInfo().length,
    disk_free: Math.max(0, alarms.diskFree),
    cluster_links: [],
  };
}

/**
 * Clustered, every node of the cluster: this one in full, the others by name, running flag and
 * role (Warren's `cluster_role`, `in_sync`), as RabbitMQ lists the other members of a cluster.
 */
function nodesJson(ctx: ApiContext): Record<string, Json>[] {
  const self = nodeJson(ctx);
  if (ctx.cluster === undefined) return [self];
  return ctx.cluster.nodes().map((n) => ({
    ...(n.self ? self : { name: n.name, type: 'disc', running: n.running }),
    cluster_role: n.role,
    in_sync: n.inSync,
  }));
}

export const nodesResources: readonly Resource[] = [
  { path: '/api/nodes', auth: 'monitor', list: BY_VHOST_NAME, get: (_req, ctx) => nodesJson(ctx) },
  {
    path: '/api/nodes/:node',
    auth: 'monitor',
    exists: (req, ctx) => nodesJson(ctx).some((n) => n['name'] === param(req, 'node')),
    get: (req, ctx) => nodesJson(ctx).find((n) => n['name'] === param(req, 'node')),
  },
  // The management UI's plugins; Warren serves no UI. Any management user (RabbitMQ's is_authorized).
  { path: '/api/extensions', auth: 'any', get: () => [] },
];
