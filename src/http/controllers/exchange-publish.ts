/**
 * POST /api/exchanges/{vhost}/{exchange}/publish (rabbit_mgmt_wm_exchange_publish): publish one
 * message through the broker's one publish path (Vhost.publish) as the request user, and answer
 * {"routed": bool} as RabbitMQ does for a mandatory, confirmed publish. A refusal that would close
 * RabbitMQ's channel is a 400 whose reason is "<code> <reply text>"; a queue refusing the message
 * (reject-publish overflow: a nack) is 400 "rejected Unable to publish message. Check queue limits.".
 * As in RabbitMQ, a missing exchange is such a refusal (400 "404 NOT_FOUND - ..."), not a 404. A
 * message written to the store is answered once the store's group commit has it, as RabbitMQ
 * answers on the confirm.
 */
import { AmqpError } from '../../amqp/errors.js';
import { PublishContext, PublishOutcome } from '../../broker/publish.js';
import { stringField, type Body } from '../body-fields.js';
import { badRequest, type HttpError } from '../errors.js';
import { decodePayload, toBasicProperties } from '../message-json.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { accessOf, channelVhost, exchangeName } from '../vhost-resources.js';

const PUBLISH_SCHEMA = {
  type: 'object',
  required: ['routing_key', 'properties', 'payload', 'payload_encoding'],
  properties: { routing_key: {}, properties: {}, payload: {}, payload_encoding: {} },
};

async function publish(req: ApiRequest, ctx: ApiContext): Promise<Reply> {
  const body = req.body as Body;
  const v = channelVhost(req, ctx);
  if (typeof body['payload'] !== 'string') throw badRequest('payload_not_string');
  const routingKey = stringField(body, 'routing_key');
  const properties = v.codec.encode(toBasicProperties(body['properties']));
  const payload = decodePayload(body['payload'], body['payload_encoding']);
  const out = new PublishOutcome();
  try {
    v.publish(new PublishContext(accessOf(req, ctx)), exchangeName(param(req, 'exchange')), routingKey, properties, payload, out);
  } catch (err) {
    if (err instanceof AmqpError) throw badRequest(`${err.replyCode} ${err.replyText}`, err);
    throw err;
  }
  if (out.rejected > 0) throw rejected();
  // RabbitMQ answers on the publisher confirm: a stored message is on disk first.
  const messages = v.persistence?.messages;
  if (out.stored && messages !== undefined) {
    await new Promise<void>((resolve, reject) => messages.commitSoon((err) => (err === null ? resolve() : reject(rejected(err)))));
  }
  return new Reply(200, { routed: !out.unroutable });
}

/** RabbitMQ's answer to a nacked publish. */
const rejected = (cause?: unknown): HttpError => badRequest('rejected Unable to publish message. Check queue limits.', cause);

export const publishResource: Resource = {
  path: '/api/exchanges/:vhost/:exchange/publish',
  auth: 'vhost',
  post: { schema: PUBLISH_SCHEMA, handle: publish },
};
