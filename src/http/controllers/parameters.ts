/**
 * /api/parameters[/{component}[/{vhost}[/{name}]]], /api/global-parameters[/{name}] and PUT
 * /api/cluster-name (rabbit_mgmt_wm_parameters, _parameter, _global_parameters,
 * _global_parameter, _cluster_name), as RabbitMQ 3.10 without plugins. The components Warren
 * knows are RabbitMQ's core ones: "vhost-limits" (name "limits", the vhost's limits) and
 * "operator_policy" (value {pattern, definition, priority, apply-to}); "policy" is listed under
 * its own component only and refused on PUT ("policies may not be set using this method").
 * Any other component (federation-upstream, shovel: plugins Warren lacks) is refused on PUT with
 * RabbitMQ's "component ... not found" and lists as empty.
 *
 * Rules: parameters are for administrators and policymakers (who see the vhosts they may open);
 * global parameters for policymakers and administrators; PUT /api/cluster-name for administrators.
 * Global parameters are kept (and stored); cluster_name renames the cluster.
 */
import type { Broker } from '../../broker/broker.js';
import { HttpError, badRequest } from '../errors.js';
import { sortedKeys, type Json } from '../format.js';
import { PARAMETERS_BY_VHOST_NAME } from '../list-query.js';
import { param, type ApiRequest, type Resource } from '../router.js';
import { escapeHtml, listedVhosts, putPolicy, requireVhost, type PolicyBody } from './policies.js';

type Obj = Record<string, Json>;

const LIMITS = 'vhost-limits';
const OPERATOR_POLICY = 'operator_policy';
const POLICY = 'policy';

const parameterJson = (vhost: string, component: string, name: string, value: Json): Obj => ({ vhost, component, name, value });

/** Every parameter of a vhost, of one component or all but "policy". */
function vhostParameters(broker: Broker, vhost: string, component: string | undefined): Obj[] {
  const out: Obj[] = [];
  const v = broker.vhosts.get(vhost);
  if (v === undefined) return out;
  const limits = sortedKeys(v.limits);
  if ((component === undefined || component === LIMITS) && Object.keys(limits).length > 0) out.push(parameterJson(vhost, LIMITS, 'limits', limits));
  for (const operator of [true, false]) {
    const c = operator ? OPERATOR_POLICY : POLICY;
    if (component === undefined ? !operator : component !== c) continue;
    for (const p of broker.policies.list(vhost, operator)) {
      out.push(parameterJson(vhost, c, p.name, { pattern: p.pattern, definition: p.definition as Obj, priority: p.priority, 'apply-to': p.applyTo }));
    }
  }
  return out;
}

/** RabbitMQ's default sort of lists: vhost, then name (then the rest: component). */
const byVhostName = (a: Obj, b: Obj): number => {
  for (const k of ['vhost', 'name', 'component']) {
    const x = a[k] as string;
    const y = b[k] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

function list(req: ApiRequest, broker: Broker): Obj[] {
  const component = req.params['component'];
  const vhost = req.params['vhost'];
  const shown = listedVhosts(broker, req.user);
  const vhosts = vhost === undefined ? [...shown] : shown.has(vhost) ? [vhost] : [];
  return vhosts.flatMap((v) => vhostParameters(broker, v, component)).sort(byVhostName);
}

function lookup(req: ApiRequest, broker: Broker): Obj | undefined {
  const name = param(req, 'name');
  return vhostParameters(broker, param(req, 'vhost'), param(req, 'component')).find((p) => p['name'] === name);
}

/** RabbitMQ's error for a component no module registered. */
const unknownComponent = (component: string): HttpError => badRequest(escapeHtml(`Validation failed\n\ncomponent ${component} not found\n`));

function put(req: ApiRequest, broker: Broker): void {
  const vhost = param(req, 'vhost');
  const component = param(req, 'component');
  const name = param(req, 'name');
  requireVhost(broker, vhost);
  const value = (req.body as { value: unknown }).value;
  switch (component) {
    case LIMITS:
      if (name !== 'limits') throw badRequest(`Validation failed\n\nvhost-limits parameter must be named 'limits', not '${escapeHtml(name)}'\n`);
      broker.setVhostLimits(vhost, value as Record<string, number>);
      return;
    case OPERATOR_POLICY: {
      const body = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as PolicyBody) : ({} as PolicyBody);
      putPolicy(broker, vhost, name, body, true, true);
      return;
    }
    case POLICY:
      throw badRequest('policies may not be set using this method');
    default:
      throw unknownComponent(component);
  }
}

function remove(req: ApiRequest, broker: Broker): void {
  const vhost = param(req, 'vhost');
  const name = param(req, 'name');
  switch (param(req, 'component')) {
    case LIMITS:
      broker.setVhostLimits(vhost, {});
      return;
    case OPERATOR_POLICY:
      broker.deletePolicy(vhost, name, true);
      return;
    default:
      throw badRequest('policies may not be cleared using this method');
  }
}

const VALUE_SCHEMA = { type: 'object', required: ['value'], properties: { value: {} } };

const globalJson = (name: string, value: unknown): Obj => ({ name, value: value as Json });

export const parametersResources: readonly Resource[] = [
  { path: '/api/parameters', auth: 'policies', list: PARAMETERS_BY_VHOST_NAME, get: (req, ctx) => list(req, ctx.broker) },
  { path: '/api/parameters/:component', auth: 'policies', list: PARAMETERS_BY_VHOST_NAME, get: (req, ctx) => list(req, ctx.broker) },
  {
    path: '/api/parameters/:component/:vhost',
    auth: 'policies',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    list: PARAMETERS_BY_VHOST_NAME,
    get: (req, ctx) => list(req, ctx.broker),
  },
  {
    path: '/api/parameters/:component/:vhost/:name',
    auth: 'policies',
    exists: (req, ctx) => lookup(req, ctx.broker) !== undefined,
    get: (req, ctx) => lookup(req, ctx.broker),
    put: { schema: VALUE_SCHEMA, handle: (req, ctx) => put(req, ctx.broker) },
    delete: (req, ctx) => remove(req, ctx.broker),
  },
  {
    path: '/api/global-parameters',
    auth: 'policymaker',
    list: PARAMETERS_BY_VHOST_NAME,
    get: (_req, { broker }) => broker.globalParameters.list().map((p) => globalJson(p.name, p.value)),
  },
  {
    path: '/api/global-parameters/:name',
    auth: 'policymaker',
    exists: (req, { broker }) => broker.globalParameters.has(param(req, 'name')),
    get: (req, { broker }) => globalJson(param(req, 'name'), broker.globalParameters.get(param(req, 'name'))),
    put: { schema: VALUE_SCHEMA, handle: (req, { broker }) => broker.globalParameters.set(param(req, 'name'), (req.body as { value: unknown }).value) },
    delete: (req, { broker }) => {
      broker.globalParameters.delete(param(req, 'name'));
    },
  },
];

export const CLUSTER_NAME_SCHEMA = { type: 'object', required: ['name'], properties: { name: { type: 'string' } } };
