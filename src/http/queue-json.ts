/**
 * A queue as RabbitMQ 3.10's management API shows it (rabbit_amqqueue_process info items through
 * rabbit_mgmt_format:queue), keys in alphabetical order as its maps print them.
 *
 * - Lengths and sizes: messages in memory (`*_ram`) are the ready ones not paged out plus the
 *   unacknowledged ones; `message_bytes*` count bodies; `messages_persistent` counts persistent
 *   messages held in memory or unacknowledged, in durable queues only (RabbitMQ's rule); paged-out
 *   ones are counted in messages_paged_out and message_bytes_paged_out.
 * - `memory` is an estimate, not a measurement: a fixed cost per queue, a cost per message held
 *   in memory (its queue entry, message object and deque slot) and the body bytes it holds (shared
 *   bodies are counted in every queue holding them). Erlang's process memory has no JS equivalent.
 * - `consumer_utilisation` (and `consumer_capacity`, the same value in 3.10): the time-weighted
 *   fraction of time the queue could hand messages to consumers at once (queue/consumer-use.ts).
 * - `idle_since` (RFC 3339, ms, as 3.10.8 prints it): present only while the queue is idle
 *   (broker/stats/message-stats.ts idleSince).
 * - `head_message_timestamp`: the timestamp property of the next ready message in memory, or null.
 * - Replicas (queue-replicas.ts): slave_nodes, synchronised_slave_nodes and recoverable_slaves
 *   for a classic queue an ha-mode policy applies to; leader, members and online for a quorum queue.
 * - Left out: Erlang VM internals (garbage_collection, reductions, reductions_details) and
 *   backing_queue_status (rabbit_variable_queue's internal state).
 */
import { decodeProperties } from '../amqp/basic-properties.js';
import type { Message } from '../broker/message.js';
import type { Queue } from '../broker/queue/queue.js';
import { idleSince } from '../broker/stats/message-stats.js';
import { tableToJson, type Json } from './format.js';
import { queueStats } from './stats.js';
import type { Ranges } from './stats-range.js';
import { replicaFields, type QueueReplicas } from './queue-replicas.js';

type Obj = Record<string, Json>;

/** Estimated bytes of an empty queue's objects (queue, deques, heap, timers, counters). */
export const QUEUE_BASE_MEMORY = 4096;
/** Estimated bytes per message held in memory, besides its body (QueuedMessage, Message, deque slot). */
export const MESSAGE_MEMORY = 160;

/** RabbitMQ's timestamp of an idle_since: RFC 3339 with milliseconds, `2026-12-07T11:24:41.988+00:00`. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace('Z', '+00:00');

function headTimestamp(head: Message | undefined): number | null {
  if (head === undefined || head.properties.length <= 2) return null;
  try {
    return decodeProperties(head.properties).timestamp ?? null;
  } catch {
    return null;
  }
}

/** RabbitMQ keeps a queue's publishes and its deliveries in two series; each shows once it counted something. */
const DELIVERY_GROUP = ['ack', 'deliver', 'deliver_get', 'deliver_no_ack', 'get', 'get_empty', 'get_no_ack', 'redeliver'];

function withCountedGroups(stats: Obj): Obj | undefined {
  const counted = (keys: string[]): boolean => keys.some((k) => (stats[k] as number) > 0);
  const groups = [['publish'], DELIVERY_GROUP].filter(counted);
  if (groups.length === 0) return undefined;
  const keep = new Set(groups.flat().flatMap((k) => [k, `${k}_details`]));
  return Object.fromEntries(Object.entries(stats).filter(([k]) => keep.has(k)));
}

const byKey = ([a]: [string, Json], [b]: [string, Json]): number => (a < b ? -1 : a > b ? 1 : 0);

/** A lone node's replica view: the queue's node alone. */
const alone = (node: string): QueueReplicas => ({ leader: node, liveFollowers: [], inSyncFollowers: [] });

/** The JSON of one queue in lists; `ranges` adds sample histories; `replicas` the cluster's nodes (default: `node` alone). */
export function queueJson(q: Queue, node: string, ranges?: Ranges, replicas: QueueReplicas = alone(node)): Obj {
  const s = q.settings;
  const d = q.details();
  const ready = q.messageCount;
  const unacked = q.unackedCount;
  const ram = d.readyRam + unacked;
  const ramBytes = d.readyRamBytes + d.unackedBytes;
  const stats = queueStats(q, ranges);
  const messageStats = withCountedGroups(stats['message_stats'] as Obj);
  if (messageStats === undefined) delete stats['message_stats'];
  else stats['message_stats'] = messageStats;
  const out: Obj = {
    arguments: tableToJson(q.arguments),
    auto_delete: q.autoDelete,
    consumer_capacity: d.consumerUtilisation,
    consumer_utilisation: d.consumerUtilisation,
    consumers: q.consumerCount,
    durable: q.durable,
    effective_policy_definition: s.definition as Obj,
    exclusive: q.exclusiveOwner !== null,
    exclusive_consumer_tag: d.exclusiveConsumerTag,
    head_message_timestamp: headTimestamp(d.head),
    memory: QUEUE_BASE_MEMORY + ram * MESSAGE_MEMORY + ramBytes,
    message_bytes: q.messageBytes + d.unackedBytes,
    message_bytes_paged_out: d.pagedBytes,
    message_bytes_persistent: d.persistentBytes,
    message_bytes_ram: ramBytes,
    message_bytes_ready: q.messageBytes,
    message_bytes_unacknowledged: d.unackedBytes,
    messages: ready + unacked,
    messages_paged_out: q.pagedCount,
    messages_persistent: d.persistent,
    messages_ram: ram,
    messages_ready: ready,
    messages_ready_ram: d.readyRam,
    messages_unacknowledged: unacked,
    messages_unacknowledged_ram: unacked,
    name: q.name,
    node,
    operator_policy: s.operatorPolicy ?? null,
    policy: s.policy ?? null,
    recoverable_slaves: null,
    single_active_consumer_tag: d.singleActiveConsumerTag,
    state: 'running',
    type: q.type,
    vhost: q.vhost,
    ...replicaFields(q, replicas),
    ...stats,
  };
  const idle = idleSince(q);
  if (idle !== undefined) out['idle_since'] = rfc3339(idle);
  return Object.fromEntries(Object.entries(out).sort(byKey));
}

/** GET of one queue: its consumers first (RabbitMQ's order), then the queue, with its empty deliveries and incoming. */
export function queueDetailJson(q: Queue, node: string, consumers: Obj[], ranges?: Ranges, replicas?: QueueReplicas): Obj {
  const out: Obj = { consumer_details: consumers, ...queueJson(q, node, ranges, replicas), deliveries: [], incoming: [] };
  return { consumer_details: consumers, ...Object.fromEntries(Object.entries(out).slice(1).sort(byKey)) };
}
