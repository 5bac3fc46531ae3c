/**
 * /api/permissions, /api/permissions/{vhost}/{user}, /api/users/{user}/permissions,
 * /api/vhosts/{vhost}/permissions (rabbit_mgmt_wm_permission(s), _permissions_user,
 * _permissions_vhost). All for administrators. Setting permissions for a user or vhost that does
 * not exist is 400 vhost_or_user_not_found, as in RabbitMQ.
 */
import type { Broker } from '../../broker/broker.js';
import { badRequest } from '../errors.js';
import { byFields, permissionJson, type Json } from '../format.js';
import { BY_VHOST_USER } from '../list-query.js';
import { param, type ApiRequest, type Resource } from '../router.js';

/** Sort as RabbitMQ's lists: by vhost, then user (then exchange, for topic permissions). */
export const byVhostUser = byFields('vhost', 'user', 'exchange');

/** Both the path's user and vhost exist (else RabbitMQ's 400 for a PUT). */
export function requireUserAndVhost(broker: Broker, req: ApiRequest): { user: string; vhost: string } {
  const user = param(req, 'user');
  const vhost = param(req, 'vhost');
  if (broker.users.get(user) === undefined || !broker.vhosts.has(vhost)) throw badRequest('vhost_or_user_not_found');
  return { user, vhost };
}

const all = (broker: Broker): Record<string, Json>[] =>
  broker.permissions
    .list()
    .map(({ user, vhost, permissions }) => permissionJson(user, vhost, permissions))
    .sort(byVhostUser);

const PERMISSION_SCHEMA = {
  type: 'object',
  required: ['configure', 'write', 'read'],
  properties: { configure: { type: 'string' }, write: { type: 'string' }, read: { type: 'string' } },
};

export const permissionsResources: readonly Resource[] = [
  { path: '/api/permissions', auth: 'admin', get: (_req, ctx) => all(ctx.broker), list: BY_VHOST_USER },
  {
    path: '/api/permissions/:vhost/:user',
    auth: 'admin',
    exists: (req, { broker }) =>
      broker.users.get(param(req, 'user')) !== undefined &&
      broker.vhosts.has(param(req, 'vhost')) &&
      broker.permissions.get(param(req, 'user'), param(req, 'vhost')) !== undefined,
    get: (req, { broker }) => {
      const [user, vhost] = [param(req, 'user'), param(req, 'vhost')];
      return permissionJson(user, vhost, broker.permissions.get(user, vhost)!);
    },
    put: {
      schema: PERMISSION_SCHEMA,
      handle: (req, { broker }) => {
        const { user, vhost } = requireUserAndVhost(broker, req);
        const { configure, write, read } = req.body as { configure: string; write: string; read: string };
        broker.permissions.set(user, vhost, { configure, write, read });
      },
    },
    delete: (req, { broker }) => {
      broker.permissions.clear(param(req, 'user'), param(req, 'vhost'));
    },
  },
  {
    path: '/api/users/:user/permissions',
    auth: 'admin',
    exists: (req, { broker }) => broker.users.get(param(req, 'user')) !== undefined,
    get: (req, { broker }) => all(broker).filter((p) => p['user'] === param(req, 'user')),
    list: BY_VHOST_USER,
  },
  {
    path: '/api/vhosts/:vhost/permissions',
    auth: 'admin',
    exists: (req, { broker }) => broker.vhosts.has(param(req, 'vhost')),
    get: (req, { broker }) =>
      all(broker)
        .filter((p) => p['vhost'] === param(req, 'vhost'))
        .map(({ vhost, user, ...rest }) => ({ vhost, user, ...rest })),
    list: BY_VHOST_USER,
  },
];
