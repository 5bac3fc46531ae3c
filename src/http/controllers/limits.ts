/**
 * /api/vhost-limits[/{vhost}[/{name}]] and /api/user-limits[/{user}[/{name}]]
 * (rabbit_mgmt_wm_limits, _limit, _user_limits, _user_limit). Listing is for any management
 * user who sees the vhost; PUT {"value": n} and DELETE of one limit are for administrators and go
 * through the broker, whose validation texts are RabbitMQ's. Deviation: DELETE for a vhost or
 * user that does not exist is an error here (404 / 400); RabbitMQ 3.10 answers 500.
 */
import type { Broker } from '../../broker/broker.js';
import { HttpError, badRequest } from '../errors.js';
import { sortedKeys, type Json } from '../format.js';
import { visibleVhosts } from '../auth.js';
import { UNSORTED } from '../list-query.js';
import { param, type ApiRequest, type Resource } from '../router.js';

const entry = (key: 'vhost' | 'user', name: string, limits: Readonly<Record<string, number | undefined>>): Record<string, Json>[] =>
  Object.keys(limits).length === 0 ? [] : [{ [key]: name, value: sortedKeys(limits) }];

function requireVhost(broker: Broker, req: ApiRequest): string {
  const vhost = param(req, 'vhost');
  if (!broker.vhosts.has(vhost)) throw new HttpError(404, 'not_found', 'vhost_not_found');
  return vhost;
}

function requireUser(broker: Broker, req: ApiRequest): string {
  const user = param(req, 'user');
  if (broker.users.get(user) === undefined) throw badRequest(['no_such_user', user]);
  return user;
}

const VALUE_SCHEMA = { type: 'object', required: ['value'], properties: { value: {} } };

const without = (limits: Readonly<Record<string, number | undefined>>, name: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(limits)) if (k !== name && v !== undefined) out[k] = v;
  return out;
};

export const limitsResources: readonly Resource[] = [
  {
    path: '/api/vhost-limits',
    list: UNSORTED,
    auth: 'vhost-visible',
    get: (req, { broker }) =>
      visibleVhosts(broker, req.user)
        .sort()
        .flatMap((name) => entry('vhost', name, broker.vhosts.get(name)?.limits ?? {})),
  },
  {
    path: '/api/vhost-limits/:vhost',
    list: UNSORTED,
    auth: 'vhost-visible',
    exists: (req, { broker }) => broker.vhosts.has(param(req, 'vhost')),
    get: (req, { broker }) => entry('vhost', param(req, 'vhost'), broker.vhosts.get(param(req, 'vhost'))?.limits ?? {}),
  },
  {
    path: '/api/vhost-limits/:vhost/:name',
    auth: 'admin',
    put: {
      schema: VALUE_SCHEMA,
      handle: (req, { broker }) => {
        const vhost = requireVhost(broker, req);
        const current = broker.vhosts.get(vhost)?.limits ?? {};
        broker.setVhostLimits(vhost, { ...current, [param(req, 'name')]: (req.body as { value: unknown }).value } as Record<string, number>);
      },
    },
    delete: (req, { broker }) => {
      const vhost = requireVhost(broker, req);
      broker.setVhostLimits(vhost, without(broker.vhosts.get(vhost)?.limits ?? {}, param(req, 'name')));
    },
  },
  {
    path: '/api/user-limits',
    list: UNSORTED,
    auth: 'vhost-visible',
    get: (_req, { broker }) =>
      broker.users
        .list()
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .flatMap((u) => entry('user', u.name, u.limits)),
  },
  {
    path: '/api/user-limits/:user',
    list: UNSORTED,
    auth: 'vhost-visible',
    exists: (req, { broker }) => broker.users.get(param(req, 'user')) !== undefined,
    get: (req, { broker }) => entry('user', param(req, 'user'), broker.users.get(param(req, 'user'))?.limits ?? {}),
  },
  {
    path: '/api/user-limits/:user/:name',
    auth: 'admin',
    put: {
      schema: VALUE_SCHEMA,
      handle: (req, { broker }) => {
        const user = requireUser(broker, req);
        const current = broker.users.get(user)?.limits ?? {};
        broker.setUserLimits(user, { ...current, [param(req, 'name')]: (req.body as { value: unknown }).value } as Record<string, number>);
      },
    },
    delete: (req, { broker }) => {
      const user = requireUser(broker, req);
      broker.setUserLimits(user, without(broker.users.get(user)?.limits ?? {}, param(req, 'name')));
    },
  },
];
