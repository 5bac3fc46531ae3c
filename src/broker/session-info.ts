/**
 * What the broker knows of a client session, whatever its protocol: the seam through which the
 * management API (and later other protocols and cluster peers) lists sessions and closes them
 * without knowing who serves them. A protocol's connection registers one SessionInfo with
 * Sessions when it opens a vhost (Sessions.open) and it is forgotten when the connection closes.
 * Names follow RabbitMQ's (rabbit_reader:info_keys, rabbit_channel:info_keys), in camelCase.
 */
import type { ConsumerStatus } from './queue/consumers.js';
import type { ChannelCounters } from './stats/channel-counters.js';
import type { FieldTable } from '../amqp/field-types.js';

export interface ConnectionInfo {
  /** RabbitMQ's connection name: `127.0.0.1:54321 -> 127.0.0.1:5672` */
  readonly name: string;
  /** `AMQP 0-9-1` */
  readonly protocol: string;
  readonly user: string;
  readonly vhost: string;
  readonly peerHost: string;
  readonly peerPort: number;
  readonly host: string;
  readonly port: number;
  /** running, blocking (an alarm is raised), blocked (paused by it), closing */
  readonly state: string;
  readonly authMechanism: string;
  readonly clientProperties: FieldTable;
  /** ms since the epoch */
  readonly connectedAt: number;
  readonly frameMax: number;
  readonly channelMax: number;
  /** negotiated heartbeat, seconds */
  readonly timeout: number;
  readonly channels: number;
  /** TLS protocol (`TLSv1.3`) and cipher, or null on a plain connection */
  readonly ssl: { readonly protocol: string | null; readonly cipher: string | null } | null;
  readonly recvOct: number;
  readonly sendOct: number;
}

export interface ChannelInfo {
  readonly number: number;
  readonly consumerCount: number;
  /** basic.qos global=false: prefetch of the consumers created from now on */
  readonly prefetchCount: number;
  /** basic.qos global=true */
  readonly globalPrefetchCount: number;
  readonly messagesUnacknowledged: number;
  readonly messagesUncommitted: number;
  /** confirm mode: publishes not yet confirmed */
  readonly messagesUnconfirmed: number;
  readonly acksUncommitted: number;
  readonly confirm: boolean;
  readonly transactional: boolean;
  /** has published at least once (RabbitMQ's publishing_mode; rabbitmq_global_publishers counts these) */
  readonly publishing: boolean;
  /** publishes received in confirm mode (RabbitMQ's messages_received_confirm) */
  readonly receivedConfirm: number;
  /** running, closing */
  readonly state: string;
  /** the channel's live message counters (the same object for the channel's life) */
  readonly counters: ChannelCounters;
}

export interface ConsumerInfo {
  readonly channel: number;
  readonly consumerTag: string;
  readonly queue: string;
  readonly vhost: string;
  readonly ackRequired: boolean;
  readonly exclusive: boolean;
  readonly prefetchCount: number;
  readonly arguments: FieldTable;
  readonly active: boolean;
  /** RabbitMQ's activity_status: up, or single_active / waiting on a single-active-consumer queue */
  readonly activityStatus: ConsumerStatus;
}

export interface SessionInfo {
  /** the connection's name, unique among open sessions */
  readonly name: string;
  readonly user: string;
  readonly vhost: string;
  info(): ConnectionInfo;
  channels(): ChannelInfo[];
  consumers(): ConsumerInfo[];
  /** Close it from the server side (AMQP: 320 CONNECTION_FORCED with this reason). */
  close(reason: string): void;
}
