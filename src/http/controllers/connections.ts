/**
 * /api/connections, /api/vhosts/{vhost}/connections, /api/connections/{name},
 * /api/connections/{name}/channels, /api/connections/username/{user} (rabbit_mgmt_wm_connection*,
 * RabbitMQ 3.10.8): the broker's open sessions (Sessions, SessionInfo), whatever their protocol.
 * Users who are not monitors see only their own. DELETE closes with 320 CONNECTION_FORCED and the
 * X-Reason header as the reason, "Closed via management plugin" by default.
 */
import type { SessionInfo } from '../../broker/session-info.js';
import { BY_VHOST_NAME, type ListSpec } from '../list-query.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { authorizeOwner, channelJson, connectionJson, visibleSessions } from '../session-json.js';
import { rangesOf } from '../stats-range.js';
import { isAdmin, isMonitor } from '../auth.js';
import { notAuthorised } from '../errors.js';

/** What /api/connections and /api/channels answer to: RabbitMQ's reply_list_or_paginate. */
export const PAGED_BY_VHOST_NAME: ListSpec = { sort: ['vhost', 'name'], paginate: 'ordered' };

/**
 * The X-Reason header, or RabbitMQ's default reason. Node reads header bytes as latin1; RabbitMQ
 * takes them as they are, so UTF-8 reasons ("für") reach the client intact: decode them as UTF-8.
 */
function reason(req: ApiRequest): string {
  const h = req.headers['x-reason'];
  const v = Array.isArray(h) ? h[0] : h;
  return v === undefined ? 'Closed via management plugin' : Buffer.from(v, 'latin1').toString('utf8');
}

const find = (req: ApiRequest, ctx: ApiContext): SessionInfo | undefined => ctx.broker.sessions.find(param(req, 'connection'));

/** The path's connection, after RabbitMQ's owner check (is_authorized_user). */
function owned(req: ApiRequest, ctx: ApiContext): SessionInfo | undefined {
  const s = find(req, ctx);
  authorizeOwner(req.user, s?.user, req.method === 'DELETE');
  return s;
}

const sessionsOf = (req: ApiRequest, ctx: ApiContext, vhost?: string): SessionInfo[] =>
  visibleSessions(ctx.broker.sessions.list(), req.user, vhost);

/** /api/connections/username/{user}: monitors (GET) and administrators (DELETE) or the user itself. */
function userSessions(req: ApiRequest, ctx: ApiContext): SessionInfo[] {
  const name = param(req, 'username');
  const allowed = req.method === 'DELETE' ? isAdmin(req.user) : isMonitor(req.user);
  if (!allowed && name !== req.user.name) throw notAuthorised('User not authorised to access object');
  return ctx.broker.sessions.list().filter((s) => s.user === name);
}

export const connectionsResources: readonly Resource[] = [
  {
    path: '/api/connections',
    auth: 'any',
    list: PAGED_BY_VHOST_NAME,
    get: (req, ctx) => sessionsOf(req, ctx).map((s) => connectionJson(s, ctx.node.name, rangesOf(req.query, true))),
  },
  {
    path: '/api/vhosts/:vhost/connections',
    auth: 'vhost',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    list: BY_VHOST_NAME,
    get: (req, ctx) => sessionsOf(req, ctx, param(req, 'vhost')).map((s) => connectionJson(s, ctx.node.name, rangesOf(req.query, true))),
  },
  {
    path: '/api/connections/username/:username',
    auth: 'any',
    list: PAGED_BY_VHOST_NAME,
    get: (req, ctx) => userSessions(req, ctx).map((s) => ({ name: s.name, vhost: s.vhost, user: s.user, node: ctx.node.name })),
    delete: (req, ctx) => {
      for (const s of userSessions(req, ctx)) s.close(reason(req));
    },
  },
  {
    path: '/api/connections/:connection',
    auth: 'any',
    exists: (req, ctx) => owned(req, ctx) !== undefined,
    get: (req, ctx) => connectionJson(find(req, ctx) as SessionInfo, ctx.node.name, rangesOf(req.query, true)),
    delete: (req, ctx) => find(req, ctx)?.close(reason(req)),
  },
  {
    path: '/api/connections/:connection/channels',
    auth: 'any',
    exists: (req, ctx) => owned(req, ctx) !== undefined,
    list: BY_VHOST_NAME,
    get: (req, ctx) => {
      const s = find(req, ctx) as SessionInfo;
      return s.channels().map((ch) => channelJson(s, ch, ctx.node.name));
    },
  },
];
