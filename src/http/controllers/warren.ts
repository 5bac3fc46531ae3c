/**
 * Warren's extras under /api/warren (no RabbitMQ tool uses these paths), through the broker's
 * entry points in broker/message-admin.ts with the request user's access:
 *
 *   GET    /api/warren/queues/{vhost}/{queue}/messages?offset=0&count=50&encoding=auto|base64&truncate=N
 *          -> ready messages in delivery order, left in place, each as an item of POST .../get
 *             plus `position` (read permission on the queue)
 *   POST   /api/warren/queues/{vhost}/{queue}/move {"destination": "q2", "count"?: n} -> {"moved": n}
 *          (read on the queue, write on the destination)
 *   GET    /api/warren/delayed/{vhost}[/{exchange}] -> messages held by delayed-message exchanges
 *          (those the user may read)
 *   DELETE /api/warren/delayed/{vhost}/{exchange}/{id} -> 204, 404 when not held (write on the exchange)
 *
 * Any management user with access to the vhost may call them (RabbitMQ's is_authorized_vhost).
 * Broker refusals map as every broker error does (errors.ts): 401 "Access refused.", 404, 400.
 */
import { browseMessages, cancelDelayed, listDelayed, moveMessages, type HeldMessage } from '../../broker/message-admin.js';
import type { Message } from '../../broker/message.js';
import { delayOf } from '../../broker/delayed-messages.js';
import type { Vhost } from '../../broker/vhost.js';
import { intField, stringField, type Body } from '../body-fields.js';
import { badRequest, objectNotFound } from '../errors.js';
import type { Json } from '../format.js';
import { basicPropertiesJson, payloadJson } from '../message-json.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, exchangeName, pathVhost, vhostOf } from '../vhost-resources.js';

const DEFAULT_COUNT = 50;

/** A non-negative integer query parameter, or `fallback`; else 400. */
function queryInt(req: ApiRequest, name: string, fallback: number | undefined): number | undefined {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw badRequest(`${name} must be a non-negative integer`);
  return Number(raw);
}

const propertiesOf = (v: Vhost, m: Message): Record<string, Json> | Json[] => basicPropertiesJson(v.codec.decode(m.properties));

function browse(req: ApiRequest, ctx: ApiContext): unknown {
  const v = vhostOf(req, ctx);
  const offset = queryInt(req, 'offset', 0) as number;
  const count = queryInt(req, 'count', DEFAULT_COUNT) as number;
  const truncate = queryInt(req, 'truncate', undefined);
  const encoding = req.query['encoding'] ?? 'auto';
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  return browseMessages(v, param(req, 'queue'), offset, count, accessOf(req, ctx)).map((entry, i) => {
    const m = entry.message;
    const body = truncate !== undefined && m.body.length > truncate ? m.body.subarray(0, truncate) : m.body;
    return {
      position: offset + i,
      payload_bytes: m.body.length,
      redelivered: entry.redelivered,
      exchange: m.exchange,
      routing_key: m.routingKey,
      properties: propertiesOf(v, m),
      ...payloadJson(body, encoding),
    };
  });
}

const MOVE_SCHEMA = { type: 'object', required: ['destination'], properties: { destination: {}, count: {} } };

function move(req: ApiRequest, ctx: ApiContext): { moved: number } {
  const body = req.body as Body;
  const destination = stringField(body, 'destination');
  const raw = body['count'];
  const count = raw === undefined || raw === null ? Infinity : intField(raw);
  if (count < 0) throw badRequest('count must be a non-negative integer');
  return { moved: moveMessages(vhostOf(req, ctx), param(req, 'queue'), destination, count, accessOf(req, ctx)) };
}

function heldJson(v: Vhost, { exchange, held }: HeldMessage): Record<string, Json> {
  const m = held.message;
  return {
    vhost: v.name,
    exchange: exchange.name,
    id: held.id,
    routing_key: m.routingKey,
    delay: delayOf(m.headers),
    due: held.dueAt,
    payload_bytes: m.body.length,
    properties: propertiesOf(v, m),
  };
}

function delayed(req: ApiRequest, ctx: ApiContext): unknown {
  const v = vhostOf(req, ctx);
  const x = req.params['exchange'];
  return listDelayed(v, x === undefined ? undefined : exchangeName(x), accessOf(req, ctx)).map((h) => heldJson(v, h));
}

function cancel(req: ApiRequest, ctx: ApiContext): void {
  const raw = param(req, 'id');
  if (!/^\d+$/.test(raw)) throw objectNotFound();
  if (!cancelDelayed(vhostOf(req, ctx), exchangeName(param(req, 'exchange')), Number(raw), accessOf(req, ctx))) throw objectNotFound();
}

const vhostExists = (req: ApiRequest, ctx: ApiContext): boolean => pathVhost(req, ctx) !== undefined;

export const warrenResources: readonly Resource[] = [
  { path: '/api/warren/queues/:vhost/:queue/messages', auth: 'vhost', exists: vhostExists, get: browse },
  { path: '/api/warren/queues/:vhost/:queue/move', auth: 'vhost', post: { schema: MOVE_SCHEMA, handle: (req, ctx) => new Reply(200, move(req, ctx)) } },
  { path: '/api/warren/delayed/:vhost', auth: 'vhost', exists: vhostExists, get: delayed },
  { path: '/api/warren/delayed/:vhost/:exchange', auth: 'vhost', exists: vhostExists, get: delayed },
  { path: '/api/warren/delayed/:vhost/:exchange/:id', auth: 'vhost', exists: vhostExists, delete: cancel },
];
