/**
 * /api/users, /api/users/{user}, /api/users/without-permissions, POST /api/users/bulk-delete
 * (rabbit_mgmt_wm_users, _user, _users_bulk_delete; put_user in rabbit_auth_backend_internal).
 * All for administrators.
 */
import { USER_LIMIT_KEYS, parseLimits, type UserLimits } from '../../broker/auth/limits.js';
import { DEFAULT_HASHING_ALGORITHM, isHashingAlgorithm, type HashingAlgorithm } from '../../broker/auth/password-hash.js';
import { User } from '../../broker/auth/users.js';
import { badRequest } from '../errors.js';
import { parseTags, userJson } from '../format.js';
import { BY_VHOST_NAME } from '../list-query.js';
import { param, type ApiContext, type Resource } from '../router.js';

/** A user as PUT /api/users/{name} and definitions files give it. */
export interface UserBody {
  password?: string;
  password_hash?: string;
  hashing_algorithm?: string;
  tags?: string | string[];
  /** RabbitMQ < 3.0's flag, still read when `tags` is missing */
  administrator?: string | boolean;
  limits?: Record<string, unknown>;
}

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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The hashing algorithm of an imported hash: the one named, else what the exporting version
 * used (RabbitMQ before 3.6.0 hashed with MD5), else the default.
 */
function algorithmOf(body: UserBody, version: string | undefined): HashingAlgorithm {
  const named = body.hashing_algorithm;
  if (named !== undefined) {
    // RabbitMQ stores any name and fails at login; Warren refuses what it cannot check.
    if (!isHashingAlgorithm(named)) throw badRequest(`unsupported hashing algorithm '${named}'`);
    return named;
  }
  if (version !== undefined && /^3\.[0-5]\./.test(version)) return 'rabbit_password_hashing_md5';
  return DEFAULT_HASHING_ALGORITHM;
}

/**
 * RabbitMQ's put_user: tags are required (or the old `administrator` flag); a password is hashed
 * with the default algorithm; a password_hash (base64) is taken as it is; neither clears the
 * password (the user can then only log in by other means). Limits, when given, replace the user's.
 * Shared with the definitions import, which passes the file's version.
 */
export function putUser(ctx: ApiContext, name: string, body: UserBody, version?: string): void {
  const users = ctx.broker.users;
  let tags: string[];
  if (body.tags !== undefined) tags = parseTags(body.tags);
  else if (body.administrator !== undefined) tags = body.administrator === true || body.administrator === 'true' ? ['administrator'] : [];
  else throw badRequest('tags_not_present');
  if (body.password !== undefined && body.password_hash !== undefined) throw badRequest('both_password_and_password_hash_are_provided');
  const limits: UserLimits | undefined = body.limits === undefined ? undefined : parseLimits(body.limits, USER_LIMIT_KEYS, 'user-limits');
  const existing = users.get(name);
  if (body.password_hash !== undefined) {
    if (!BASE64.test(body.password_hash)) throw badRequest(['not_base64', body.password_hash]);
    const hash = Buffer.from(body.password_hash, 'base64');
    users.put(new User(name, hash, algorithmOf(body, version), tags, limits ?? existing?.limits ?? {}));
    return;
  }
  users.add(name, body.password ?? null, tags);
  if (limits !== undefined) ctx.broker.setUserLimits(name, limits);
}

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
    put: { schema: USER_SCHEMA, handle: (req, ctx) => putUser(ctx, param(req, 'user'), req.body as UserBody) },
    delete: (req, ctx) => {
      ctx.broker.deleteUser(param(req, 'user'));
    },
  },
];
