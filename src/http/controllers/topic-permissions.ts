/**
 * /api/topic-permissions, /api/topic-permissions/{vhost}/{user}[/{exchange}],
 * /api/users/{user}/topic-permissions, /api/vhosts/{vhost}/topic-permissions
 * (rabbit_mgmt_wm_topic_permission(s), _topic_permissions_user, _topic_permissions_vhost).
 * All for administrators. As in RabbitMQ 3.10, a user's topic permissions in a vhost are one
 * resource: GET lists them all (with or without an exchange in the path), the first PUT creates
 * it (201) and later ones update it (204), DELETE with an exchange clears that exchange's.
 */
import type { Broker } from '../../broker/broker.js';
import { topicPermissionJson, type Json } from '../format.js';
import { BY_VHOST_USER } from '../list-query.js';
import { param, type ApiRequest, type Handler, type Resource } from '../router.js';
import { byVhostUser, requireUserAndVhost } from './permissions.js';

const all = (broker: Broker): Record<string, Json>[] =>
  broker.permissions
    .listTopics()
    .map(({ user, vhost, permissions }) => topicPermissionJson(user, vhost, permissions))
    .sort(byVhostUser);

const of = (broker: Broker, req: ApiRequest): Record<string, Json>[] =>
  all(broker).filter((t) => t['user'] === param(req, 'user') && t['vhost'] === param(req, 'vhost'));

const exists: Handler<boolean> = (req, { broker }) =>
  broker.users.get(param(req, 'user')) !== undefined && broker.vhosts.has(param(req, 'vhost')) && of(broker, req).length > 0;

const TOPIC_SCHEMA = {
  type: 'object',
  required: ['exchange', 'write', 'read'],
  properties: { exchange: { type: 'string' }, write: { type: 'string' }, read: { type: 'string' } },
};

/** The resource at /{vhost}/{user} and at /{vhost}/{user}/{exchange}. */
const userVhostTopics = (path: string): Resource => ({
  path,
  auth: 'admin',
  exists,
  get: (req, { broker }) => of(broker, req),
  put: {
    schema: TOPIC_SCHEMA,
    handle: (req, { broker }) => {
      const { user, vhost } = requireUserAndVhost(broker, req);
      const { exchange, write, read } = req.body as { exchange: string; write: string; read: string };
      broker.permissions.setTopic(user, vhost, { exchange, write, read });
    },
  },
  delete: (req, { broker }) => {
    const exchange = req.params['exchange'];
    broker.permissions.clearTopic(param(req, 'user'), param(req, 'vhost'), exchange);
  },
});

export const topicPermissionsResources: readonly Resource[] = [
  { path: '/api/topic-permissions', auth: 'admin', get: (_req, ctx) => all(ctx.broker), list: BY_VHOST_USER },
  userVhostTopics('/api/topic-permissions/:vhost/:user'),
  userVhostTopics('/api/topic-permissions/:vhost/:user/:exchange'),
  {
    path: '/api/users/:user/topic-permissions',
    auth: 'admin',
    exists: (req, { broker }) => broker.users.get(param(req, 'user')) !== undefined,
    get: (req, { broker }) => all(broker).filter((t) => t['user'] === param(req, 'user')),
    list: BY_VHOST_USER,
  },
  {
    path: '/api/vhosts/:vhost/topic-permissions',
    auth: 'admin',
    exists: (req, { broker }) => broker.vhosts.has(param(req, 'vhost')),
    get: (req, { broker }) =>
      all(broker)
        .filter((t) => t['vhost'] === param(req, 'vhost'))
        .map(({ vhost, user, ...rest }) => ({ vhost, user, ...rest })),
    list: BY_VHOST_USER,
  },
];
