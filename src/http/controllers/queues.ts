/**
 * /api/queues, /api/queues/{vhost}, /api/queues/{vhost}/{queue} and its bindings, contents
 * (purge) and actions (rabbit_mgmt_wm_queues, _queue, _bindings, _queue_purge, _queue_actions).
 * Declare, delete and purge go through the vhost's entry points with the request user's access; a
 * PUT body defaults as queue.declare's fields do (not durable) and may name only this node.
 * Actions are for administrators: sync and cancel_sync do nothing for Warren's queues (as for
 * RabbitMQ's unmirrored ones) and answer 204; any other action is 400 ["unknown", action]; a
 * missing queue is 404 (RabbitMQ 3.10 crashes: 500).
 */
import type { Queue } from '../../broker/queue/queue.js';
import { boolField, jsonToArgs, stringField, type Body } from '../body-fields.js';
import { badRequest, objectNotFound } from '../errors.js';
import { byBinding, defaultBindingJson, explicitBindingJson } from '../resource-json.js';
import { LazyList } from '../lazy-list.js';
import { queueDetailJson, queueJson } from '../queue-json.js';
import { queueReplicas } from '../queue-replicas.js';
import { consumerJson } from '../session-json.js';
import { rangesOf } from '../stats-range.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, listedVhosts, pathVhost, queryFlag, targetVhost, vhostOf } from '../vhost-resources.js';
import { BY_BINDING, compareTerms, PAGED_SORTED_BY_VHOST_NAME } from '../list-query.js';
import { queueGetResource } from './queue-get.js';

const nameOf = (req: ApiRequest): string => param(req, 'queue');

/** The path's queue, or undefined (no such vhost or queue). */
export const pathQueue = (req: ApiRequest, ctx: ApiContext): Queue | undefined => pathVhost(req, ctx)?.queues.get(nameOf(req));

const queueExists = (req: ApiRequest, ctx: ApiContext): boolean => pathQueue(req, ctx) !== undefined;

const QUEUE_SCHEMA = {
  type: 'object',
  properties: { node: { type: 'string' }, arguments: { anyOf: [{ type: 'object' }, { type: 'null' }, { type: 'string' }] } },
};

/** The owner of queues declared over HTTP: none is exclusive (RabbitMQ's HTTP connection is gone at once). */
const HTTP_OWNER = {};

function put(req: ApiRequest, ctx: ApiContext): void {
  const body = req.body as Body;
  const v = targetVhost(req, ctx);
  const node = stringField(body, 'node', ctx.node.name);
  if (node !== ctx.node.name) throw badRequest(`Node ${node} could not be contacted`);
  const options = {
    durable: boolField(body, 'durable', false),
    autoDelete: boolField(body, 'auto_delete', false),
    exclusiveOwner: null,
    arguments: jsonToArgs(body['arguments']),
  };
  v.declareQueue(nameOf(req), false, options, HTTP_OWNER, accessOf(req, ctx));
}

function bindings(req: ApiRequest, ctx: ApiContext): unknown[] {
  const q = pathQueue(req, ctx);
  if (q === undefined) return [];
  return [defaultBindingJson(q), ...[...q.bindings].map(explicitBindingJson)].sort(byBinding);
}

/** Fields of a queue's JSON read straight from the queue, to sort and page 10,000 queues without building their JSON. */
const QUEUE_KEYS = {
  name: (q: Queue) => q.name,
  vhost: (q: Queue) => q.vhost,
  type: (q: Queue) => q.type,
  durable: (q: Queue) => q.durable,
  auto_delete: (q: Queue) => q.autoDelete,
  exclusive: (q: Queue) => q.exclusiveOwner !== null,
  consumers: (q: Queue) => q.consumerCount,
  messages: (q: Queue) => q.messageCount + q.unackedCount,
  messages_ready: (q: Queue) => q.messageCount,
  messages_unacknowledged: (q: Queue) => q.unackedCount,
  policy: (q: Queue) => q.settings.policy ?? null,
  state: () => 'running',
};

/** The listed vhosts' queues; built into JSON only for the page asked for, when it can be (lazy-list.ts). */
function queuesOf(req: ApiRequest, ctx: ApiContext): LazyList<Queue> {
  const ranges = rangesOf(req.query, true);
  const queues = listedVhosts(req, ctx).flatMap((v) => [...v.queues.values()]);
  // Natural order (sort=''): by vhost, then name, as the JSON list was.
  if (req.query['sort'] === '') queues.sort((a, b) => compareTerms(a.vhost, b.vhost) || compareTerms(a.name, b.name));
  const replicas = queueReplicas(ctx);
  return new LazyList(queues, (q) => queueJson(q, ctx.node.name, ranges, replicas), { ...QUEUE_KEYS, node: () => ctx.node.name });
}

/** GET of one queue, with its consumers (RabbitMQ's consumer_details). */
function queueDetail(req: ApiRequest, ctx: ApiContext): unknown {
  const q = pathQueue(req, ctx) as Queue;
  const node = ctx.node.name;
  const consumers = ctx.broker.sessions
    .list()
    .flatMap((s) => s.consumers().flatMap((c) => (c.queue === q.name && c.vhost === q.vhost ? [consumerJson(s, c, node)] : [])));
  return queueDetailJson(q, node, consumers, rangesOf(req.query, true), queueReplicas(ctx));
}

export const queuesResources: readonly Resource[] = [
  { path: '/api/queues', auth: 'vhost', list: PAGED_SORTED_BY_VHOST_NAME, get: queuesOf },
  {
    path: '/api/queues/:vhost',
    auth: 'vhost',
    list: PAGED_SORTED_BY_VHOST_NAME,
    exists: (req, ctx) => pathVhost(req, ctx) !== undefined,
    get: queuesOf,
  },
  {
    path: '/api/queues/:vhost/:queue',
    auth: 'vhost',
    exists: queueExists,
    get: queueDetail,
    put: { schema: QUEUE_SCHEMA, handle: put },
    delete: (req, ctx) => {
      vhostOf(req, ctx).deleteQueue(nameOf(req), queryFlag(req, 'if-unused'), queryFlag(req, 'if-empty'), null, accessOf(req, ctx));
    },
  },
  // a missing queue, or vhost, has no bindings (RabbitMQ answers 200)
  { path: '/api/queues/:vhost/:queue/bindings', auth: 'vhost', list: BY_BINDING, get: bindings },
  {
    path: '/api/queues/:vhost/:queue/contents',
    auth: 'vhost',
    exists: queueExists,
    delete: (req, ctx) => {
      vhostOf(req, ctx).purgeQueue(nameOf(req), null, accessOf(req, ctx));
    },
  },
  {
    path: '/api/queues/:vhost/:queue/actions',
    auth: 'admin',
    post: {
      schema: { type: 'object', required: ['action'], properties: { action: {} } },
      handle: (req, ctx) => {
        const action = (req.body as Body)['action'];
        if (!queueExists(req, ctx)) throw objectNotFound();
        if (action !== 'sync' && action !== 'cancel_sync') throw badRequest(['unknown', String(action)]);
        return undefined;
      },
    },
  },
  queueGetResource,
];
