/**
 * /api/bindings, /api/bindings/{vhost}, /api/bindings/{vhost}/e/{source}/{q|e}/{destination} and
 * .../{props} (rabbit_mgmt_wm_bindings, _binding). POST binds as the request user through the
 * vhost's entry points and answers 201 with a Location relative to the request path, whose last
 * segment is the binding's properties_key (Terraform reads it). A binding is named by its
 * properties_key (binding-props.ts): the routing key, and the arguments' hash when it has any.
 * The default exchange's implicit bindings are listed, and found, as RabbitMQ lists them.
 */
import type { FieldTable } from '../../amqp/field-types.js';
import type { Binding } from '../../broker/binding.js';
import type { Vhost } from '../../broker/vhost.js';
import { argsHash, packBindingProps, quotePlus, unpackBindingProps } from '../binding-props.js';
import { jsonToArgs, stringField, type Body } from '../body-fields.js';
import type { Json } from '../format.js';
import { bindingJson, byBinding, explicitBindingJson, vhostBindings } from '../resource-json.js';
import { BY_BINDING } from '../list-query.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, exchangeName, listOver, pathVhost, targetVhost, vhostOf } from '../vhost-resources.js';

type Kind = 'queue' | 'exchange';
type Obj = Record<string, Json>;

const sourceOf = (req: ApiRequest): string => exchangeName(param(req, 'source'));
const destinationOf = (req: ApiRequest, kind: Kind): string => (kind === 'exchange' ? exchangeName(param(req, 'destination')) : param(req, 'destination'));

/** Bindings from the path's source to its destination, the implicit default one included. */
function between(v: Vhost, source: string, kind: Kind, destination: string): Obj[] {
  if (source === '') {
    const q = kind === 'queue' ? v.queues.get(destination) : undefined;
    return q === undefined ? [] : [bindingJson(v.name, '', q.name, 'queue', q.name, {})];
  }
  const x = v.exchanges.get(source);
  if (x === undefined) return [];
  const out: Binding[] = [];
  for (const b of x.outbound.values()) if (b.destination.kind === kind && b.destination.name === destination) out.push(b);
  return out.map(explicitBindingJson).sort(byBinding);
}

/** The binding a properties_key names (its JSON and its typed arguments), or undefined. */
function named(req: ApiRequest, ctx: ApiContext, kind: Kind): { json: Obj; args: FieldTable } | undefined {
  const v = pathVhost(req, ctx);
  const props = unpackBindingProps(param(req, 'props'));
  if (v === undefined || props === undefined) return undefined;
  const { routingKey, hash } = props;
  const [source, destination] = [sourceOf(req), destinationOf(req, kind)];
  if (source === '') {
    const json = between(v, source, kind, destination).find((b) => b['routing_key'] === routingKey && hash === undefined);
    return json === undefined ? undefined : { json, args: {} };
  }
  for (const b of v.exchanges.get(source)?.outbound.values() ?? []) {
    if (b.destination.kind !== kind || b.destination.name !== destination || b.routingKey !== routingKey) continue;
    const hasArgs = Object.keys(b.args).length > 0;
    if (hash === undefined ? !hasArgs : hasArgs && argsHash(b.args) === hash) return { json: explicitBindingJson(b), args: b.args };
  }
  return undefined;
}

function bind(req: ApiRequest, ctx: ApiContext, kind: Kind): Reply {
  const body = req.body as Body;
  const v = targetVhost(req, ctx);
  const routingKey = stringField(body, 'routing_key');
  const args = jsonToArgs(body['arguments']);
  const [source, destination] = [sourceOf(req), destinationOf(req, kind)];
  if (kind === 'queue') v.bindQueue(destination, source, routingKey, args, null, accessOf(req, ctx));
  else v.bindExchange(destination, source, routingKey, args, accessOf(req, ctx));
  // RabbitMQ relativises /api/bindings/{vh}/e/{s}/{t}/{d}/{props} to the request path: "{d}/{props}",
  // each segment quoted with quote_plus (so the key's own %XX escapes are quoted again).
  const props = packBindingProps(routingKey, args);
  return new Reply(201, undefined, { location: `${quotePlus(param(req, 'destination'))}/${quotePlus(props)}` });
}

function unbind(req: ApiRequest, ctx: ApiContext, kind: Kind): void {
  const found = named(req, ctx, kind);
  if (found === undefined) return;
  const v = vhostOf(req, ctx);
  const { json, args } = found;
  const [source, destination, key] = [json['source'] as string, json['destination'] as string, json['routing_key'] as string];
  if (kind === 'queue') v.unbindQueue(destination, source, key, args, null, accessOf(req, ctx));
  else v.unbindExchange(destination, source, key, args, accessOf(req, ctx));
}

function resources(letter: 'q' | 'e', kind: Kind): Resource[] {
  const base = `/api/bindings/:vhost/e/:source/${letter}/:destination`;
  return [
    {
      path: base,
      auth: 'vhost',
      list: BY_BINDING,
      get: (req, ctx) => {
        const v = pathVhost(req, ctx);
        return v === undefined ? [] : between(v, sourceOf(req), kind, destinationOf(req, kind));
      },
      post: { handle: (req, ctx) => bind(req, ctx, kind) },
    },
    {
      path: `${base}/:props`,
      auth: 'vhost',
      exists: (req, ctx) => named(req, ctx, kind) !== undefined,
      get: (req, ctx) => named(req, ctx, kind)?.json,
      delete: (req, ctx) => unbind(req, ctx, kind),
    },
  ];
}

export const bindingsResources: readonly Resource[] = [
  { path: '/api/bindings', auth: 'vhost', list: BY_BINDING, get: (req, ctx) => listOver(req, ctx, vhostBindings, byBinding) },
  {
    path: '/api/bindings/:vhost',
    auth: 'vhost',
    exists: (req, ctx) => pathVhost(req, ctx) !== undefined,
    list: BY_BINDING,
    get: (req, ctx) => listOver(req, ctx, vhostBindings, byBinding),
  },
  ...resources('q', 'queue'),
  ...resources('e', 'exchange'),
];
