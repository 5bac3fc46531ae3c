/**
 * /api/users, /api/users/{user}, /api/users/without-permissions, POST /api/users/bulk-delete
 * (rabbit_mgmt_wm_users, _user, _users_bulk_delete; put_user in rabbit_auth_backend_internal).
 * All for administrators.
 */
import type { User } from '../../broker/auth/users.js';
import { applyUser, type UserBody } from '../../broker/definitions/user-definition.js';
import { badRequest } from '../errors.js';
import { userJson } from '../format.js';
import { BY_VHOST_NAME } from '../list-query.js';
import { param, type ApiContext, type Resource } from '../router.js';

export const USER_SCHEMA = {
  type: 'object',
  properties: {
    password: { type: 'string' },
    password_hash: { type: 'string' },
    hashing_algorithm: { type: 'string' },
    tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    administrator: { anyOf: [{ type: 'string' }, { type: 'boolean' }] },
    limits: { type: 'object' },
  },
};

function withoutPermissions(ctx: ApiContext): unknown[] {
  const withSome = new Set(ctx.broker.permissions.list().map((p) => p.user));
  return sorted(ctx).filter((u) => !withSome.has(u.name)).map(userJson);
}

const sorted = (ctx: ApiContext): User[] => ctx.broker.users.list().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export const usersResources: readonly Resource[] = [
  { path: '/api/users', auth: 'admin', get: (_req, ctx) => sorted(ctx).map(userJson), list: BY_VHOST_NAME },
  { path: '/api/users/without-permissions', auth: 'admin', get: (_req, ctx) => withoutPermissions(ctx), list: BY_VHOST_NAME },
  {
    path: '/api/users/bulk-delete',
    auth: 'admin',
    post: {
      schema: { type: 'object', required: ['users'], properties: { users: { type: 'array', items: { type: 'string' } } } },
      // In order; the first unknown name stops it with RabbitMQ's error (the earlier ones are gone).
      handle: (req, ctx) => {
        for (const name of (req.body as { users: string[] }).users) {
          if (!ctx.broker.deleteUser(name)) throw badRequest(['no_such_user', name]);
        }
        return undefined;
      },
    },
  },
  {
    path: '/api/users/:user',
    auth: 'admin',
    exists: (req, ctx) => ctx.broker.users.get(param(req, 'user')) !== undefined,
    get: (req, ctx) => userJson(ctx.broker.users.get(param(req, 'user')) as User),
    put: { schema: USER_SCHEMA, handle: (req, ctx) => applyUser(ctx.broker, param(req, 'user'), req.body as UserBody) },
    delete: (req, ctx) => {
      ctx.broker.deleteUser(param(req, 'user'));
    },
  },
];
