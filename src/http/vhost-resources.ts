/**
 * What the exchange, queue and binding controllers share: the path's vhost, exchange and queue
 * (RabbitMQ's rabbit_mgmt_util:vhost and id: `amq.default` in a path is the default exchange), the
 * request user's access for the broker's entry points, and lists over the vhosts a user sees.
 */
import type { Access } from '../broker/auth/access.js';
import type { Vhost } from '../broker/vhost.js';
import { accessFor, visibleVhosts } from './auth.js';
import type { AmqpError } from '../amqp/errors.js';
import { badRequest, HttpError, notAuthorised, objectNotFound } from './errors.js';
import type { Json } from './format.js';
import { param, type ApiContext, type ApiRequest } from './router.js';

/** An exchange name from a path: `amq.default` is the default exchange, ''. */
export const exchangeName = (name: string): string => (name === 'amq.default' ? '' : name);

/** The path's vhost, or undefined when it does not exist. */
export const pathVhost = (req: ApiRequest, ctx: ApiContext): Vhost | undefined => ctx.broker.vhosts.get(param(req, 'vhost'));

/** The path's vhost, which `exists` has checked. */
export function vhostOf(req: ApiRequest, ctx: ApiContext): Vhost {
  const v = pathVhost(req, ctx);
  if (v === undefined) throw objectNotFound();
  return v;
}

/** The path's vhost for a declare or bind: a missing one is RabbitMQ's 404 vhost_not_found. */
export function targetVhost(req: ApiRequest, ctx: ApiContext): Vhost {
  const v = pathVhost(req, ctx);
  if (v === undefined) throw new HttpError(404, 'not_found', 'vhost_not_found');
  return v;
}

/**
 * The path's vhost for an operation RabbitMQ runs on an AMQP channel of its own (publish, get):
 * a missing vhost is the refused connection's 401 "Access refused.".
 */
export function channelVhost(req: ApiRequest, ctx: ApiContext): Vhost {
  const v = pathVhost(req, ctx);
  if (v === undefined) throw notAuthorised('Access refused.');
  return v;
}

/**
 * A broker refusal as RabbitMQ reports an operation on its own AMQP channel
 * (rabbit_mgmt_util:with_channel): NOT_FOUND is 404 and ACCESS_REFUSED 401, each with the whole
 * reply text; any other is 400 "<code> <reply text>".
 */
export function channelError(err: AmqpError): HttpError {
  if (err.replyCode === 404) return new HttpError(404, 'not_found', err.replyText, {}, { cause: err });
  if (err.replyCode === 403) return new HttpError(401, 'not_authorised', err.replyText, {}, { cause: err });
  return badRequest(`${err.replyCode} ${err.replyText}`, err);
}

/** The request user's access to the path's vhost. */
export const accessOf = (req: ApiRequest, ctx: ApiContext): Access => accessFor(ctx.broker, req.user, param(req, 'vhost'));

/** The vhosts a list covers: the path's, or every vhost the user sees. */
export function listedVhosts(req: ApiRequest, ctx: ApiContext): Vhost[] {
  if (req.params['vhost'] !== undefined) return [vhostOf(req, ctx)];
  return visibleVhosts(ctx.broker, req.user).flatMap((name) => {
    const v = ctx.broker.vhosts.get(name);
    return v === undefined ? [] : [v];
  });
}

/** `?name=true` as RabbitMQ reads if-unused and if-empty: exactly "true". */
export const queryFlag = (req: ApiRequest, name: string): boolean => req.query[name] === 'true';

/** Sorted objects of every listed vhost. */
export function listOver(
  req: ApiRequest,
  ctx: ApiContext,
  each: (v: Vhost) => Record<string, Json>[],
  order: (a: Record<string, Json>, b: Record<string, Json>) => number,
): Record<string, Json>[] {
  return listedVhosts(req, ctx).flatMap(each).sort(order);
}
