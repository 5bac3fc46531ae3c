/**
 * /api/exchanges, /api/exchanges/{vhost}, /api/exchanges/{vhost}/{exchange} and its
 * bindings/source and bindings/destination (rabbit_mgmt_wm_exchanges, _exchange, _bindings).
 * Declare and delete go through the vhost's entry points with the request user's access, so the
 * rules and permission checks are AMQP's; a PUT body defaults as exchange.declare's fields do
 * (type direct, not durable). `amq.default` in a path is the default exchange ''.
 */
import type { Exchange } from '../../broker/exchange/exchange.js';
import { boolField, jsonToArgs, stringField, type Body } from '../body-fields.js';
import { byBinding, byVhostName, defaultBindingJson, exchangeJson, explicitBindingJson } from '../resource-json.js';
import { rangesOf } from '../stats-range.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, exchangeName, listOver, pathVhost, queryFlag, targetVhost, vhostOf } from '../vhost-resources.js';
import { BY_BINDING, PAGED_SORTED_BY_VHOST_NAME } from '../list-query.js';
import { publishResource } from './exchange-publish.js';

const nameOf = (req: ApiRequest): string => exchangeName(param(req, 'exchange'));

/** The path's exchange, or undefined (no such vhost or exchange). */
export function pathExchange(req: ApiRequest, ctx: ApiContext): Exchange | undefined {
  return pathVhost(req, ctx)?.exchanges.get(nameOf(req));
}

const EXCHANGE_SCHEMA = {
  type: 'object',
  properties: { type: { type: 'string' }, arguments: { anyOf: [{ type: 'object' }, { type: 'null' }, { type: 'string' }] } },
};

function put(req: ApiRequest, ctx: ApiContext): void {
  const body = req.body as Body;
  const v = targetVhost(req, ctx);
  const options = {
    durable: boolField(body, 'durable', false),
    autoDelete: boolField(body, 'auto_delete', false),
    internal: boolField(body, 'internal', false),
    arguments: jsonToArgs(body['arguments']),
  };
  v.declareExchange(nameOf(req), stringField(body, 'type', 'direct'), false, options, accessOf(req, ctx));
}

/**
 * Bindings from the exchange; the default exchange's are the implicit ones to every queue. A
 * missing exchange, or vhost, has none (RabbitMQ answers [] for both).
 */
function sourceBindings(req: ApiRequest, ctx: ApiContext): unknown[] {
  const v = pathVhost(req, ctx);
  const x = pathExchange(req, ctx);
  if (v === undefined || x === undefined) return [];
  if (x.name === '') return [...v.queues.values()].map(defaultBindingJson).sort(byBinding);
  return [...x.outbound.values()].map(explicitBindingJson).sort(byBinding);
}

function destinationBindings(req: ApiRequest, ctx: ApiContext): unknown[] {
  const x = pathExchange(req, ctx);
  if (x === undefined) return [];
  return [...x.bindings].map(explicitBindingJson).sort(byBinding);
}

export const exchangesResources: readonly Resource[] = [
  {
    path: '/api/exchanges',
    auth: 'vhost',
    list: PAGED_SORTED_BY_VHOST_NAME,
    get: (req, ctx) => listOver(req, ctx, (v) => [...v.exchanges.values()].map((x) => exchangeJson(x, ctx.broker.policies, rangesOf(req.query))), byVhostName),
  },
  {
    path: '/api/exchanges/:vhost',
    auth: 'vhost',
    list: PAGED_SORTED_BY_VHOST_NAME,
    exists: (req, ctx) => pathVhost(req, ctx) !== undefined,
    get: (req, ctx) => listOver(req, ctx, (v) => [...v.exchanges.values()].map((x) => exchangeJson(x, ctx.broker.policies, rangesOf(req.query))), byVhostName),
  },
  {
    path: '/api/exchanges/:vhost/:exchange',
    auth: 'vhost',
    exists: (req, ctx) => pathExchange(req, ctx) !== undefined,
    get: (req, ctx) => exchangeJson(pathExchange(req, ctx) as Exchange, ctx.broker.policies, rangesOf(req.query)),
    put: { schema: EXCHANGE_SCHEMA, handle: put },
    delete: (req, ctx) => vhostOf(req, ctx).deleteExchange(nameOf(req), queryFlag(req, 'if-unused'), accessOf(req, ctx)),
  },
  { path: '/api/exchanges/:vhost/:exchange/bindings/source', auth: 'vhost', list: BY_BINDING, get: sourceBindings },
  { path: '/api/exchanges/:vhost/:exchange/bindings/destination', auth: 'vhost', list: BY_BINDING, get: destinationBindings },
  publishResource,
];
