import type { Message } from '../message.js';
import type { QueueConsumer } from './consumer.js';
import type { ConsumerStatus, QueueConsumers } from './consumers.js';
import type { QueueStore } from './queue-store.js';
import type { ReadyMessages } from './ready-messages.js';
import type { UnackedTally } from './unacked-tally.js';

/**
 * What the management API shows of a queue beyond its counters (RabbitMQ's queue info items:
 * messages_ram, message_bytes_*, messages_persistent, head_message_timestamp,
 * consumer_utilisation, single_active_consumer_tag, exclusive_consumer_tag). Read on request,
 * from fields the queue keeps anyway.
 */
export interface QueueDetails {
  /** ready messages held in memory, and their body bytes */
  readonly readyRam: number;
  readonly readyRamBytes: number;
  /** ready messages paged out to the store, and their body bytes */
  readonly pagedBytes: number;
  readonly unackedBytes: number;
  /** persistent messages (ready in memory and unacked) of a durable queue, and their bytes */
  readonly persistent: number;
  readonly persistentBytes: number;
  /** the next ready message in memory, if any */
  readonly head: Message | undefined;
  /** in [0, 1]; 0 without consumers */
  readonly consumerUtilisation: number;
  readonly singleActiveConsumerTag: string | null;
  readonly exclusiveConsumerTag: string | null;
  /** a consumer's activity_status */
  statusOf(consumer: QueueConsumer): ConsumerStatus;
}

/** The details of a queue from its parts (ClassicQueue's private state). */
export function queueDetails(
  durable: boolean,
  singleActive: boolean,
  ready: ReadyMessages,
  unacked: UnackedTally,
  store: QueueStore | null,
  consumers: QueueConsumers,
): QueueDetails {
  // RabbitMQ counts a message as persistent only in a durable queue (rabbit_variable_queue).
  const persistent = durable ? ready.persistent + unacked.persistent : 0;
  const persistentBytes = durable ? ready.persistentBytes + unacked.persistentBytes : 0;
  return {
    readyRam: ready.length,
    readyRamBytes: ready.bytes,
    pagedBytes: store?.tailBytes ?? 0,
    unackedBytes: unacked.bytes,
    persistent,
    persistentBytes,
    head: ready.peek()?.message,
    consumerUtilisation: consumers.utilisation(),
    singleActiveConsumerTag: consumers.activeTag(singleActive),
    exclusiveConsumerTag: consumers.exclusiveTag(),
    statusOf: (c) => consumers.status(c, singleActive),
  };
}
