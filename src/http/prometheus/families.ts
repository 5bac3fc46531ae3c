/**
 * The metric families Warren serves, named, typed and described exactly as rabbitmq_prometheus
 * 3.10 does (prometheus_rabbitmq_core_metrics_collector's METRICS_RAW, METRICS_CLUSTER and
 * TOTALS, the global counters and the alarm collector), less the ones Warren has no data for
 * (Erlang VM, Mnesia, Raft, process reductions, I/O and message store counters, ...). Groups carry
 * RabbitMQ's names: `/metrics/detailed?family=queue_metrics` selects one. Names here lack the
 * prefix; each endpoint adds its own (rabbitmq_, rabbitmq_detailed_, rabbitmq_cluster_).
 */

export type MetricType = 'counter' | 'gauge' | 'untyped';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
}

const counter = (name: string, help: string): MetricDef => ({ name, type: 'counter', help });
const gauge = (name: string, help: string): MetricDef => ({ name, type: 'gauge', help });
const untyped = (name: string, help: string): MetricDef => ({ name, type: 'untyped', help });

/** The groups of METRICS_RAW Warren serves, in RabbitMQ's order, with the metrics of each in its order. */
export const CORE_GROUPS = {
  connection_churn_metrics: [
    counter('connections_opened_total', 'Total number of connections opened'),
    counter('connections_closed_total', 'Total number of connections closed or terminated'),
    counter('channels_opened_total', 'Total number of channels opened'),
    counter('channels_closed_total', 'Total number of channels closed'),
    counter('queues_declared_total', 'Total number of queues declared'),
    counter('queues_created_total', 'Total number of queues created'),
    counter('queues_deleted_total', 'Total number of queues deleted'),
  ],
  node_coarse_metrics: [
    gauge('process_open_fds', 'Open file descriptors'),
    gauge('process_open_tcp_sockets', 'Open TCP sockets'),
    gauge('process_resident_memory_bytes', 'Memory used in bytes'),
    gauge('disk_space_available_bytes', 'Disk space available in bytes'),
  ],
  node_metrics: [
    gauge('process_max_fds', 'Open file descriptors limit'),
    gauge('process_max_tcp_sockets', 'Open TCP sockets limit'),
    gauge('resident_memory_limit_bytes', 'Memory high watermark in bytes'),
    gauge('disk_space_available_limit_bytes', 'Free disk space low watermark in bytes'),
  ],
  auth_attempt_metrics: [
    counter('auth_attempts_total', 'Total number of authorization attempts'),
    counter('auth_attempts_succeeded_total', 'Total number of successful authentication attempts'),
    counter('auth_attempts_failed_total', 'Total number of failed authentication attempts'),
  ],
  queue_coarse_metrics: [
    gauge('queue_messages_ready', 'Messages ready to be delivered to consumers'),
    gauge('queue_messages_unacked', 'Messages delivered to consumers but not yet acknowledged'),
    gauge('queue_messages', 'Sum of ready and unacknowledged messages - total queue depth'),
  ],
  queue_consumer_count: [gauge('queue_consumers', 'Consumers on a queue')],
  queue_metrics: [
    gauge('queue_consumers', 'Consumers on a queue'),
    gauge('queue_messages_ram', 'Ready and unacknowledged messages stored in memory'),
    gauge('queue_messages_ready_ram', 'Ready messages stored in memory'),
    gauge('queue_messages_unacked_ram', 'Unacknowledged messages stored in memory'),
    gauge('queue_messages_ready_bytes', 'Size in bytes of ready messages'),
    gauge('queue_messages_paged_out', 'Messages paged out to disk'),
  ],
  channel_metrics: [
    gauge('channel_consumers', 'Consumers on a channel'),
    gauge('channel_messages_unacked', 'Delivered but not yet acknowledged messages'),
    gauge('channel_messages_unconfirmed', 'Published but not yet confirmed messages'),
    gauge('channel_messages_uncommitted', 'Messages received in a transaction but not yet committed'),
    gauge('channel_acks_uncommitted', 'Message acknowledgements in a transaction not yet committed'),
    gauge('consumer_prefetch', 'Limit of unacknowledged messages for each consumer'),
    gauge('channel_prefetch', 'Total limit of unacknowledged messages for all consumers on a channel'),
  ],
  channel_exchange_metrics: [
    counter('channel_messages_published_total', 'Total number of messages published into an exchange on a channel'),
    counter('channel_messages_confirmed_total', 'Total number of messages published into an exchange and confirmed on the channel'),
    counter(
      'channel_messages_unroutable_returned_total',
      'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    ),
    counter(
      'channel_messages_unroutable_dropped_total',
      'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    ),
  ],
  channel_queue_metrics: [
    counter('channel_get_ack_total', 'Total number of messages fetched with basic.get in manual acknowledgement mode'),
    counter('channel_get_total', 'Total number of messages fetched with basic.get in automatic acknowledgement mode'),
    counter('channel_messages_delivered_ack_total', 'Total number of messages delivered to consumers in manual acknowledgement mode'),
    counter('channel_messages_delivered_total', 'Total number of messages delivered to consumers in automatic acknowledgement mode'),
    counter('channel_messages_redelivered_total', 'Total number of messages redelivered to consumers'),
    counter('channel_messages_acked_total', 'Total number of messages acknowledged by consumers'),
    counter('channel_get_empty_total', 'Total number of times basic.get operations fetched no message'),
  ],
  connection_coarse_metrics: [
    counter('connection_incoming_bytes_total', 'Total number of bytes received on a connection'),
    counter('connection_outgoing_bytes_total', 'Total number of bytes sent on a connection'),
  ],
  connection_metrics: [gauge('connection_channels', 'Channels on a connection')],
  channel_queue_exchange_metrics: [counter('queue_messages_published_total', 'Total number of messages published to queues')],
} as const satisfies Record<string, readonly MetricDef[]>;

export type CoreGroup = keyof typeof CORE_GROUPS;

/** METRICS_CLUSTER: served by /metrics/detailed only, prefixed rabbitmq_cluster_. */
export const CLUSTER_GROUPS = {
  vhost_status: [gauge('vhost_status', 'Whether a given vhost is running')],
  exchange_bindings: [gauge('exchange_bindings', 'Number of bindings for an exchange. This value is cluster-wide.')],
  exchange_names: [
    gauge('exchange_name', 'Enumerates exchanges without any additional info. This value is cluster-wide. A cheaper alternative to `exchange_bindings`'),
  ],
} as const satisfies Record<string, readonly MetricDef[]>;

export type ClusterGroup = keyof typeof CLUSTER_GROUPS;

/** TOTALS: object counts, after the core groups on /metrics and /metrics/per-object. */
export const TOTALS = [
  gauge('connections', 'Connections currently open'),
  gauge('channels', 'Channels currently open'),
  gauge('consumers', 'Consumers currently connected'),
  gauge('queues', 'Queues available'),
] as const;

export const BUILD_INFO = untyped('build_info', 'RabbitMQ & Erlang/OTP version info');
export const IDENTITY_INFO = untyped('identity_info', 'RabbitMQ node & cluster identity info');

/** rabbit_global_counters that Warren counts: labelled by protocol only. */
export const GLOBAL_PROTOCOL = {
  consumers: gauge('global_consumers', 'Current number of consumers'),
  confirmed: counter('global_messages_confirmed_total', 'Total number of messages confirmed to publishers'),
  receivedConfirm: counter(
    'global_messages_received_confirm_total',
    'Total number of messages received from publishers expecting confirmations',
  ),
  received: counter('global_messages_received_total', 'Total number of messages received from publishers'),
  routed: counter('global_messages_routed_total', 'Total number of messages routed to queues or streams'),
  dropped: counter(
    'global_messages_unroutable_dropped_total',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
  ),
  returned: counter(
    'global_messages_unroutable_returned_total',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
  ),
  publishers: gauge('global_publishers', 'Current number of publishers'),
} as const;

/** rabbit_global_counters labelled by protocol and queue_type, in RabbitMQ's (alphabetical) order. */
export const GLOBAL_QUEUE_TYPE = {
  acknowledged: counter('global_messages_acknowledged_total', 'Total number of messages acknowledged by consumers'),
  consumeAutoAck: counter(
    'global_messages_delivered_consume_auto_ack_total',
    'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment',
  ),
  consumeManualAck: counter(
    'global_messages_delivered_consume_manual_ack_total',
    'Total number of messages delivered to consumers using basic.consume with manual acknowledgment',
  ),
  getAutoAck: counter(
    'global_messages_delivered_get_auto_ack_total',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgment',
  ),
  getManualAck: counter(
    'global_messages_delivered_get_manual_ack_total',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgment',
  ),
  delivered: counter('global_messages_delivered_total', 'Total number of messages delivered to consumers'),
  getEmpty: counter('global_messages_get_empty_total', 'Total number of times basic.get operations fetched no message'),
  redelivered: counter('global_messages_redelivered_total', 'Total number of messages redelivered to consumers'),
} as const;

/** prometheus_rabbitmq_alarm_metrics_collector (on /metrics only). */
export const ALARMS = {
  fileDescriptor: untyped('alarms_file_descriptor_limit', 'is 1 if file descriptor limit alarm is in effect'),
  disk: untyped('alarms_free_disk_space_watermark', 'is 1 if free disk space watermark alarm is in effect'),
  memory: untyped('alarms_memory_used_watermark', 'is 1 if VM memory watermark alarm is in effect'),
} as const;
