/**
 * Connections, channels and consumers as RabbitMQ 3.10's management API shows them
 * (rabbit_mgmt_format, rabbit_reader/rabbit_channel info keys), from the broker's SessionInfo.
 * Keys in alphabetical order, as RabbitMQ's lists print them. Statistics Warren does not keep
 * (Erlang reductions, garbage collection) are left out rather than invented.
 */
import type { ChannelInfo, ConsumerInfo, SessionInfo } from '../broker/session-info.js';
import type { User } from '../broker/auth/users.js';
import { isAdmin, isMonitor } from './auth.js';
import { notAuthorised } from './errors.js';
import { tableToJson, type Json } from './format.js';
import { channelStats, connectionRates } from './stats.js';
import type { Ranges } from './stats-range.js';

/** `127.0.0.1:54321 -> 127.0.0.1:5672 (1)` */
export const channelName = (s: SessionInfo, number: number): string => `${s.name} (${number})`;

export function connectionJson(s: SessionInfo, node: string, ranges?: Ranges): Record<string, Json> {
  const c = s.info();
  const rates = connectionRates(s, c.recvOct, c.sendOct, ranges);
  const out: Record<string, Json> = {
    auth_mechanism: c.authMechanism,
    channel_max: c.channelMax,
    channels: c.channels,
    client_properties: tableToJson(c.clientProperties),
    connected_at: c.connectedAt,
    frame_max: c.frameMax,
    host: c.host,
    name: c.name,
    node,
    peer_cert_issuer: null,
    peer_cert_subject: null,
    peer_cert_validity: null,
    peer_host: c.peerHost,
    peer_port: c.peerPort,
    port: c.port,
    protocol: c.protocol,
    recv_oct: c.recvOct,
    recv_oct_details: rates['recv_oct_details'] as Json,
    send_oct: c.sendOct,
    send_oct_details: rates['send_oct_details'] as Json,
    send_pend: 0,
    ssl: c.ssl !== null,
    ssl_cipher: c.ssl?.cipher ?? null,
    ssl_hash: null,
    ssl_key_exchange: null,
    ssl_protocol: c.ssl?.protocol?.toLowerCase() ?? null,
    state: c.state,
    timeout: c.timeout,
    type: 'network',
    user: c.user,
  };
  const provided = c.clientProperties['connection_name'];
  if (typeof provided === 'string') out['user_provided_name'] = provided;
  out['user_who_performed_action'] = c.user;
  out['vhost'] = c.vhost;
  return out;
}

const connectionDetails = (s: SessionInfo): Record<string, Json> => {
  const c = s.info();
  return { name: s.name, peer_host: c.peerHost, peer_port: c.peerPort };
};

/** A channel as its lists show it; `?msg_rates_age=` adds sample histories to its message_stats. */
export function channelJson(s: SessionInfo, ch: ChannelInfo, node: string, ranges?: Ranges): Record<string, Json> {
  return {
    acks_uncommitted: ch.acksUncommitted,
    confirm: ch.confirm,
    connection_details: connectionDetails(s),
    consumer_count: ch.consumerCount,
    global_prefetch_count: ch.globalPrefetchCount,
    ...channelStats(ch.counters, ranges),
    messages_unacknowledged: ch.messagesUnacknowledged,
    messages_uncommitted: ch.messagesUncommitted,
    messages_unconfirmed: ch.messagesUnconfirmed,
    name: channelName(s, ch.number),
    node,
    number: ch.number,
    pending_raft_commands: 0,
    prefetch_count: ch.prefetchCount,
    state: ch.state,
    transactional: ch.transactional,
    user: s.user,
    user_who_performed_action: s.user,
    vhost: s.vhost,
  };
}

/**
 * GET /api/channels/{name}: the channel with its consumers. `deliveries` and `publishes` (per
 * queue and per exchange stats) stay empty, as in RabbitMQ's default "basic" rates mode.
 */
export function channelDetailJson(s: SessionInfo, ch: ChannelInfo, node: string, ranges?: Ranges): Record<string, Json> {
  const consumers = s.consumers().filter((c) => c.channel === ch.number);
  return {
    ...channelJson(s, ch, node, ranges),
    consumer_details: consumers.map((c) => consumerJson(s, c, node)),
    deliveries: [],
    publishes: [],
  };
}

export function consumerJson(s: SessionInfo, c: ConsumerInfo, node: string): Record<string, Json> {
  const info = s.info();
  return {
    arguments: tableToJson(c.arguments),
    ack_required: c.ackRequired,
    active: c.active,
    activity_status: c.activityStatus,
    channel_details: {
      connection_name: s.name,
      name: channelName(s, c.channel),
      node,
      number: c.channel,
      peer_host: info.peerHost,
      peer_port: info.peerPort,
      user: s.user,
    },
    consumer_tag: c.consumerTag,
    exclusive: c.exclusive,
    prefetch_count: c.prefetchCount,
    queue: { name: c.queue, vhost: c.vhost },
  };
}

/** Sessions the user sees: all for monitors, else its own (rabbit_mgmt_util:filter_user); optionally one vhost's. */
export function visibleSessions(all: readonly SessionInfo[], user: User, vhost?: string): SessionInfo[] {
  return all.filter((s) => (isMonitor(user) || s.user === user.name) && (vhost === undefined || s.vhost === vhost));
}

/**
 * RabbitMQ's is_authorized_user for one connection or channel: monitors may read it and
 * administrators delete it, others only their own; checked before it is known to exist, so a
 * missing one is 401 for them too.
 */
export function authorizeOwner(user: User, owner: string | undefined, del: boolean): void {
  if ((del ? isAdmin(user) : isMonitor(user)) || owner === user.name) return;
  throw notAuthorised('User not authorised to access object');
}
