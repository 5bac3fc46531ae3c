/**
 * An AMQP 0-9-1 connection as the broker lists it (SessionInfo): registered with Sessions at
 * connection.open, so the management API can show and close it without knowing src/server.
 */
import type { TLSSocket } from 'node:tls';
import type { FieldTable } from '../amqp/field-types.js';
import type { ChannelInfo, ConnectionInfo, ConsumerInfo, SessionInfo } from '../broker/session-info.js';
import type { Connection } from './connection.js';

/** rabbit_misc:ntoa: an IPv4-mapped IPv6 address as plain IPv4. */
export function ntoa(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** rabbit_misc:ntoab: ntoa, IPv6 in brackets (for `host:port`). */
const ntoab = (address: string): string => {
  const a = ntoa(address);
  return a.includes(':') ? `[${a}]` : a;
};

/** RabbitMQ's connection name (rabbit_net:connection_string): `peer:port -> local:port`. */
export function connectionName(peerHost: string, peerPort: number, host: string, port: number): string {
  return `${ntoab(peerHost)}:${peerPort} -> ${ntoab(host)}:${port}`;
}

export class ConnectionSession implements SessionInfo {
  readonly name: string;
  readonly connectedAt: number;

  constructor(
    private readonly conn: Connection,
    private readonly authMechanism: string,
    connectedAt: number,
  ) {
    const s = conn.socket;
    this.name = connectionName(s.remoteAddress ?? '', s.remotePort ?? 0, s.localAddress ?? '', s.localPort ?? 0);
    this.connectedAt = connectedAt;
  }

  get user(): string {
    return this.conn.user;
  }

  get vhost(): string {
    return this.conn.vhost?.name ?? '';
  }

  info(): ConnectionInfo {
    const c = this.conn;
    const s = c.socket;
    const tls = (s as Partial<TLSSocket>).encrypted === true ? (s as TLSSocket) : null;
    return {
      name: this.name,
      protocol: 'AMQP 0-9-1',
      user: this.user,
      vhost: this.vhost,
      peerHost: ntoa(s.remoteAddress ?? ''),
      peerPort: s.remotePort ?? 0,
      host: ntoa(s.localAddress ?? ''),
      port: s.localPort ?? 0,
      state: this.state(),
      authMechanism: this.authMechanism,
      clientProperties: c.clientProperties as FieldTable,
      connectedAt: this.connectedAt,
      frameMax: c.frameMax,
      channelMax: c.channelMax,
      timeout: c.heartbeat.seconds,
      channels: c.channels.size,
      ssl: tls === null ? null : { protocol: tls.getProtocol(), cipher: tls.getCipher()?.name ?? null },
      recvOct: s.bytesRead,
      sendOct: s.bytesWritten,
    };
  }

  private state(): string {
    const c = this.conn;
    if (c.state !== 'open') return c.state === 'closed' ? 'closed' : 'closing';
    if (c.flow === null || !c.flow.alarmed) return 'running';
    return c.flow.isBlocked(c) ? 'blocked' : 'blocking';
  }

  channels(): ChannelInfo[] {
    return [...this.conn.channels.values()]
      .sort((a, b) => a.number - b.number)
      .map((ch) => ({
        number: ch.number,
        consumerCount: ch.consumers.size,
        prefetchCount: ch.prefetchCount,
        globalPrefetchCount: ch.globalPrefetch,
        messagesUnacknowledged: ch.deliveries.unackedCount,
        messagesUncommitted: ch.publisher.tx ? ch.publisher.uncommittedCount : 0,
        messagesUnconfirmed: ch.publisher.unconfirmedCount,
        acksUncommitted: ch.txSettles.reduce((n, s) => n + s.list.length, 0),
        confirm: ch.publisher.confirm,
        transactional: ch.publisher.tx,
        publishing: ch.publisher.publishing,
        receivedConfirm: ch.publisher.receivedConfirm,
        state: ch.state === 'open' || ch.state === 'opening' ? 'running' : 'closing',
        counters: ch.counters,
      }));
  }

  consumers(): ConsumerInfo[] {
    const out: ConsumerInfo[] = [];
    for (const ch of this.conn.channels.values()) {
      for (const c of ch.consumers.values()) {
        const activityStatus = c.queue.details().statusOf(c);
        out.push({
          channel: ch.number,
          consumerTag: c.consumerTag,
          queue: c.queue.name,
          vhost: c.queue.vhost,
          ackRequired: !c.noAck,
          exclusive: c.exclusive,
          prefetchCount: c.prefetch,
          arguments: c.args,
          active: activityStatus !== 'waiting',
          activityStatus,
        });
      }
    }
    return out;
  }

  close(reason: string): void {
    this.conn.close(320, `CONNECTION_FORCED - ${reason}`);
  }
}
