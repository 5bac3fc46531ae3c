/**
 * /api/channels, /api/vhosts/{vhost}/channels, /api/channels/{name}, /api/consumers,
 * /api/consumers/{vhost} (rabbit_mgmt_wm_channel(s), _channels_vhost, _consumers, RabbitMQ
 * 3.10.8), from the broker's open sessions. Users who are not monitors see only their own.
 */
import type { ChannelInfo, SessionInfo } from '../../broker/session-info.js';
import { BY_VHOST_NAME } from '../list-query.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import { authorizeOwner, channelDetailJson, channelJson, consumerJson, visibleSessions } from '../session-json.js';
import type { Json } from '../format.js';
import { rangesOf } from '../stats-range.js';
import { PAGED_BY_VHOST_NAME } from './connections.js';

function channelsOf(req: ApiRequest, ctx: ApiContext, vhost?: string): Record<string, Json>[] {
  const ranges = rangesOf(req.query);
  return visibleSessions(ctx.broker.sessions.list(), req.user, vhost).flatMap((s) => s.channels().map((ch) => channelJson(s, ch, ctx.node.name, ranges)));
}

/** `<connection name> (<number>)` to its session and channel. */
function findChannel(req: ApiRequest, ctx: ApiContext): { session: SessionInfo; channel: ChannelInfo } | undefined {
  const m = /^(.*) \((\d+)\)$/.exec(param(req, 'channel'));
  if (m === null) return undefined;
  const session = ctx.broker.sessions.find(m[1] as string);
  const channel = session?.channels().find((ch) => ch.number === Number(m[2]));
  return session === undefined || channel === undefined ? undefined : { session, channel };
}

function consumersOf(req: ApiRequest, ctx: ApiContext, vhost?: string): Record<string, Json>[] {
  const node = ctx.node.name;
  return visibleSessions(ctx.broker.sessions.list(), req.user).flatMap((s) =>
    s
      .consumers()
      .filter((c) => vhost === undefined || c.vhost === vhost)
      .map((c) => consumerJson(s, c, node)),
  );
}

export const channelsResources: readonly Resource[] = [
  { path: '/api/channels', auth: 'any', list: PAGED_BY_VHOST_NAME, get: (req, ctx) => channelsOf(req, ctx) },
  {
    path: '/api/vhosts/:vhost/channels',
    auth: 'vhost',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    list: BY_VHOST_NAME,
    get: (req, ctx) => channelsOf(req, ctx, param(req, 'vhost')),
  },
  {
    path: '/api/channels/:channel',
    auth: 'any',
    exists: (req, ctx) => {
      const found = findChannel(req, ctx);
      authorizeOwner(req.user, found?.session.user, false);
      return found !== undefined;
    },
    get: (req, ctx) => {
      const { session, channel } = findChannel(req, ctx) as { session: SessionInfo; channel: ChannelInfo };
      return channelDetailJson(session, channel, ctx.node.name, rangesOf(req.query));
    },
  },
  { path: '/api/consumers', auth: 'any', list: BY_VHOST_NAME, get: (req, ctx) => consumersOf(req, ctx) },
  {
    path: '/api/consumers/:vhost',
    auth: 'any',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    list: BY_VHOST_NAME,
    get: (req, ctx) => consumersOf(req, ctx, param(req, 'vhost')),
  },
];
