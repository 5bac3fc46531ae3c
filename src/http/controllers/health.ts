/**
 * Health checks (rabbit_mgmt_wm_health_check_*, RabbitMQ 3.10.8) and /api/aliveness-test/{vhost}:
 * 200 `{"status":"ok", ...}`, or 503 `{"status":"failed","reason":..., ...}` as Kubernetes probes
 * and rabbitmqadmin expect. Any management user may call them.
 *
 * /certificate-expiration is in certificate-expiration.ts. /ready-to-serve-clients is RabbitMQ
 * 3.11+'s (3.10 answers 404), kept because load balancers and Kubernetes probes ask for it; the
 * other 3.11+/4.x checks are not here.
 */
import type { ResourceAlarms } from '../../broker/alarms.js';
import { PublishContext, PublishOutcome } from '../../broker/publish.js';
import type { Vhost } from '../../broker/vhost.js';
import { accessFor } from '../auth.js';
import { badRequest } from '../errors.js';
import type { Json } from '../format.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';

/** RabbitMQ's ?HEALTH_CHECK_FAILURE_STATUS */
const FAILURE = 503;

const OK = { status: 'ok' };
const failed = (reason: string, rest: Record<string, Json>): Reply => new Reply(FAILURE, { status: 'failed', reason, ...rest });

/** Alarms in RabbitMQ's shape (rabbit_alarm:format_as_maps). */
function alarmsJson(alarms: ResourceAlarms, node: string): Json[] {
  const { memory, disk } = alarms.state;
  return [...(disk ? [{ resource: 'disk space', node }] : []), ...(memory ? [{ resource: 'memory', node }] : [])];
}

const alarmCheck =
  (reason: string) =>
  (_req: ApiRequest, ctx: ApiContext): unknown => {
    const raised = alarmsJson(ctx.broker.alarms, ctx.node.name);
    return raised.length === 0 ? OK : failed(reason, { alarms: raised });
  };

/** rabbit_mgmt_wm_health_check_protocol_listener:normalize_protocol, for the protocols Warren may speak. */
const PROTOCOL_ALIASES: Record<string, string> = {
  amqp091: 'amqp',
  'amqp0.9.1': 'amqp',
  'amqp0-9-1': 'amqp',
  amqp0_9_1: 'amqp',
  amqp10: 'amqp',
  'amqp1.0': 'amqp',
  'amqp1-0': 'amqp',
  amqp1_0: 'amqp',
  amqps: 'amqp/ssl',
  'mqtt3.1': 'mqtt',
  'mqtt3.1.1': 'mqtt',
  mqtt31: 'mqtt',
  mqtt311: 'mqtt',
  mqtt3_1: 'mqtt',
  mqtt3_1_1: 'mqtt',
  mqtts: 'mqtt/ssl',
  'mqtt+tls': 'mqtt/ssl',
  'mqtt+ssl': 'mqtt/ssl',
  stomps: 'stomp/ssl',
  'stomp+tls': 'stomp/ssl',
  'stomp+ssl': 'stomp/ssl',
  http1: 'http',
  'http1.1': 'http',
  http_api: 'http',
  management: 'http',
  management_ui: 'http',
  ui: 'http',
  cli: 'clustering',
  distribution: 'clustering',
};

function normalizeProtocol(raw: string): string {
  const p = raw.toLowerCase();
  if (/^stomp1[._]?[012]$/.test(p)) return 'stomp';
  const web = /^web[-_]?(mqtt|stomp)([/+](tls|ssl))?$/.exec(p);
  if (web !== null) return `${web[2] === undefined ? 'http' : 'https'}/web-${web[1] as string}`;
  return PROTOCOL_ALIASES[p] ?? p;
}

function portListener(req: ApiRequest, ctx: ApiContext): unknown {
  const raw = param(req, 'port');
  if (!/^[+-]?\d+$/.test(raw)) throw badRequest('Invalid port');
  const port = Number(raw);
  const ports = ctx.node.listeners().map((l) => l.port);
  return ports.includes(port) ? { status: 'ok', port } : failed('No active listener', { missing: port, ports });
}

function protocolListener(req: ApiRequest, ctx: ApiContext): unknown {
  const protocol = normalizeProtocol(param(req, 'protocol'));
  const protocols = ctx.node.listeners().map((l) => l.protocol);
  return protocols.includes(protocol) ? { status: 'ok', protocol } : failed('No active listener', { missing: protocol, protocols });
}

/**
 * rabbit_mgmt_wm_health_check_ready_to_serve_clients: an AMQP or AMQPS listener is up and the
 * node's connection limit (maxConnections, RabbitMQ's connection_max) is not reached.
 */
function readyToServe(_req: ApiRequest, ctx: ApiContext): unknown {
  if (!ctx.node.listeners().some((l) => l.protocol === 'amqp' || l.protocol === 'amqp/ssl')) {
    return failed('no active listeners for AMQP/AMQPS', {});
  }
  const limit = ctx.broker.config.maxConnections;
  const active = ctx.broker.sessions.connections;
  return limit > 0 && active >= limit ? failed('node connection limit is reached', { connections: active }) : OK;
}

const ALIVENESS_QUEUE = 'aliveness-test';
/** The owner the aliveness test declares and reads as (its queue is not exclusive). */
const ALIVENESS_OWNER = {};

/**
 * rabbit_mgmt_wm_aliveness_test: as the requesting user, declare the aliveness-test queue,
 * publish "test_message" to it through the default exchange, get it back (no ack). The queue is
 * left in place, as RabbitMQ does. Permission and other broker errors map as every broker error.
 */
function aliveness(req: ApiRequest, ctx: ApiContext): unknown {
  const vhost = ctx.broker.vhost(param(req, 'vhost')) as Vhost;
  const access = accessFor(ctx.broker, req.user, vhost.name);
  const options = { durable: false, exclusiveOwner: null, autoDelete: false, arguments: {} };
  vhost.declareQueue(ALIVENESS_QUEUE, false, options, ALIVENESS_OWNER, access);
  const properties = Buffer.alloc(2); // no properties: a zero flags word
  vhost.publish(new PublishContext(access), '', ALIVENESS_QUEUE, properties, Buffer.from('test_message'), new PublishOutcome());
  const entry = vhost.readQueue(ALIVENESS_QUEUE, ALIVENESS_OWNER, access).get(true);
  return entry === undefined ? failed('aliveness-test queue is empty', {}) : OK;
}

export const healthResources: readonly Resource[] = [
  { path: '/api/health/checks/alarms', auth: 'any', get: alarmCheck('There are alarms in effect in the cluster') },
  { path: '/api/health/checks/local-alarms', auth: 'any', get: alarmCheck('There are alarms in effect on the node') },
  // Warren's vhosts cannot be down on their own: they live and die with the node.
  { path: '/api/health/checks/virtual-hosts', auth: 'any', get: () => OK },
  { path: '/api/health/checks/port-listener/:port', auth: 'any', get: portListener },
  { path: '/api/health/checks/protocol-listener/:protocol', auth: 'any', get: protocolListener },
  { path: '/api/health/checks/node-is-quorum-critical', auth: 'any', get: () => ({ status: 'ok', reason: 'single node cluster' }) },
  { path: '/api/health/checks/ready-to-serve-clients', auth: 'any', get: readyToServe },
  { path: '/api/health/checks/node-is-mirror-sync-critical', auth: 'any', get: () => ({ status: 'ok', reason: 'single node cluster' }) },
  {
    path: '/api/aliveness-test/:vhost',
    auth: 'vhost',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    get: aliveness,
  },
];
