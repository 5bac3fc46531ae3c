/**
 * POST /api/queues/{vhost}/{queue}/get (rabbit_mgmt_wm_queue_get): up to `count` basic.gets as the
 * request user (read permission, as AMQP's basic.get), then the ackmode's settlement, all at once
 * after the gets as RabbitMQ does:
 *   ack_requeue_false    - taken with no-ack: the messages leave the queue
 *   ack_requeue_true     - taken with ack and left unacked until the request's channel closes:
 *                          requeued, marked redelivered
 *   reject_requeue_true  - rejected with requeue: the same
 *   reject_requeue_false - rejected without requeue: dead-lettered if the queue says so
 * Each message: payload_bytes, redelivered, exchange, routing_key, message_count (ready messages
 * left), properties, payload (truncated to `truncate` bytes) and payload_encoding.
 */
import type { QueuedMessage } from '../../broker/message.js';
import type { Queue } from '../../broker/queue/queue.js';
import { intField, type Body } from '../body-fields.js';
import { badRequest } from '../errors.js';
import type { Json } from '../format.js';
import { basicPropertiesJson, payloadJson } from '../message-json.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, channelError, channelVhost } from '../vhost-resources.js';
import { AmqpError } from '../../amqp/errors.js';

const ACKMODES = ['ack_requeue_true', 'ack_requeue_false', 'reject_requeue_true', 'reject_requeue_false'] as const;
type AckMode = (typeof ACKMODES)[number];

const GET_SCHEMA = { type: 'object', required: ['ackmode', 'count', 'encoding'], properties: { ackmode: {}, count: {}, encoding: {} } };

function options(body: Body): { ackMode: AckMode; count: number; encoding: 'auto' | 'base64'; truncate: number | undefined } {
  const ackMode = body['ackmode'];
  const count = intField(body['count']);
  const encoding = body['encoding'];
  if (encoding !== 'auto' && encoding !== 'base64') throw badRequest('Unsupported encoding. Please use auto or base64.');
  if (!(ACKMODES as readonly unknown[]).includes(ackMode)) throw badRequest(['unknown_ackmode', String(ackMode)]);
  const truncate = body['truncate'] === undefined || body['truncate'] === null ? undefined : intField(body['truncate']);
  return { ackMode: ackMode as AckMode, count, encoding, truncate };
}

/** The queue to read, as basic.get finds it (read permission, existence, exclusivity), refusals as RabbitMQ's channel reports them. */
function readable(req: ApiRequest, ctx: ApiContext): Queue {
  const v = channelVhost(req, ctx);
  try {
    return v.readQueue(param(req, 'queue'), null, accessOf(req, ctx));
  } catch (err) {
    throw err instanceof AmqpError ? channelError(err) : err;
  }
}

function get(req: ApiRequest, ctx: ApiContext): Reply {
  const { ackMode, count, encoding, truncate } = options(req.body as Body);
  const q = readable(req, ctx);
  const vhost = ctx.broker.vhosts.get(q.vhost);
  const codec = vhost?.codec;
  // Traced as RabbitMQ traces its management gets (a channel of the request's user).
  const tracing = vhost?.tracing.active === true ? vhost.tracing : null;
  const origin = { connection: '', channel: 0, user: req.user.name };
  const noAck = ackMode === 'ack_requeue_false';
  const taken: QueuedMessage[] = [];
  const out: Record<string, Json>[] = [];
  for (let i = 0; i < count; i++) {
    const entry = q.get(noAck);
    if (entry === undefined) break;
    if (!noAck) taken.push(entry);
    const m = entry.message;
    tracing?.delivered(m, q, entry.redelivered, null, origin);
    const body = truncate !== undefined && m.body.length > truncate ? m.body.subarray(0, Math.max(0, truncate)) : m.body;
    out.push({
      payload_bytes: m.body.length,
      redelivered: entry.redelivered,
      exchange: m.exchange,
      routing_key: m.routingKey,
      message_count: q.messageCount,
      properties: codec === undefined ? [] : basicPropertiesJson(codec.decode(m.properties)),
      ...payloadJson(body, encoding),
    });
  }
  for (const entry of taken) {
    const tag = entry.message.trace;
    if (tag !== null) vhost?.tracing.event(tag, ackMode === 'reject_requeue_false' ? 'reject' : 'requeue', q.name);
    if (ackMode === 'reject_requeue_false') q.discard(entry);
    else q.requeue(entry);
  }
  return new Reply(200, out);
}

export const queueGetResource: Resource = {
  path: '/api/queues/:vhost/:queue/get',
  auth: 'vhost',
  post: { schema: GET_SCHEMA, handle: get },
};
