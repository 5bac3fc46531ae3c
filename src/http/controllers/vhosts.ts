/**
 * /api/vhosts and /api/vhosts/{vhost} (rabbit_mgmt_wm_vhosts, _vhost): list, show, create or
 * update, delete. As RabbitMQ 3.10: creating a vhost gives its creator full permissions on it;
 * updating one replaces its description and tags and keeps its default queue type. The default
 * queue type is read from `default_queue_type` (3.11+, what Terraform and rabbitmqadmin send) or
 * `defaultqueuetype` (the only name 3.10 reads). `tracing` turns the vhost's firehose on or off.
 */
import type { Vhost, VhostMetadata } from '../../broker/vhost.js';
import { visibleVhosts } from '../auth.js';
import { badRequest } from '../errors.js';
import { parseTags, vhostJson } from '../format.js';
import { vhostStats } from '../stats.js';
import { rangesOf } from '../stats-range.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';

interface VhostBody {
  description?: string;
  tags?: string | string[];
  default_queue_type?: string;
  defaultqueuetype?: string;
  tracing?: unknown;
}

const VHOST_SCHEMA = {
  type: 'object',
  properties: {
    description: { type: 'string' },
    tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }] },
    default_queue_type: { type: 'string' },
    defaultqueuetype: { type: 'string' },
  },
};

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function list(req: ApiRequest, ctx: ApiContext): unknown[] {
  const { broker, node } = ctx;
  return visibleVhosts(broker, req.user)
    .sort(byName)
    .flatMap((name) => {
      const v = broker.vhosts.get(name);
      return v === undefined ? [] : [{ ...vhostJson(v, node.name), ...vhostStats(v, rangesOf(req.query)) }];
    });
}

/**
 * PUT body to the broker: a description, tags and, for a new vhost, a default queue type. Shared
 * with the definitions import (which reads the same fields, or the same inside `metadata`).
 */
export function putVhost(ctx: ApiContext, name: string, body: VhostBody, actingUser: string | undefined): void {
  const exists = ctx.broker.vhosts.has(name);
  const tracing = body.tracing === undefined ? undefined : parseBool(body.tracing);
  const metadata: VhostMetadata = { description: body.description ?? '', tags: parseTags(body.tags) };
  const type = body.default_queue_type ?? body.defaultqueuetype;
  if (!exists && type !== undefined) metadata.defaultQueueType = type;
  ctx.broker.putVhost(name, metadata, actingUser);
  // The firehose: on or off when given, as RabbitMQ's put_vhost (rabbit_trace:start/stop).
  if (tracing !== undefined) ctx.broker.setVhostTracing(name, tracing);
}

/** RabbitMQ's rabbit_misc:parse_bool: true, false, "true", "false"; anything else is 400 not_boolean. */
function parseBool(v: unknown): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(['not_boolean', typeof v === 'number' ? v : String(v)]);
}

export const vhostsResources: readonly Resource[] = [
  { path: '/api/vhosts', auth: 'any', get: list, list: { sort: ['name'], paginate: 'sorted' } },
  {
    path: '/api/vhosts/:vhost',
    auth: 'admin',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    get: (req, ctx) => {
      const v = ctx.broker.vhosts.get(param(req, 'vhost')) as Vhost;
      return { ...vhostJson(v, ctx.node.name), ...vhostStats(v, rangesOf(req.query)) };
    },
    put: {
      schema: VHOST_SCHEMA,
      handle: (req, ctx) => putVhost(ctx, param(req, 'vhost'), req.body as VhostBody, req.user.name),
    },
    delete: (req, ctx) => {
      ctx.broker.deleteVhost(param(req, 'vhost'));
    },
  },
];
