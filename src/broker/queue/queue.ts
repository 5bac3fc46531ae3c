import type { FieldTable } from '../../amqp/field-types.js';
import type { Binding } from '../binding.js';
import type { DelayedMessages, DelayStore } from '../delayed-messages.js';
import type { Message, QueuedMessage } from '../message.js';
import type { QueueArguments, QueueType } from '../queue-arguments.js';
import type { QueueConsumer } from './consumer.js';
import type { QueueDetails } from './queue-details.js';
import type { DeathReason } from './dead-letter.js';
import type { QueueStore } from './queue-store.js';
import type { QueueSettings } from './settings.js';
import type { QueueCounters } from './queue-counters.js';
import type { TraceEventType } from '../tracing/message-tracer.js';

export interface QueueOptions {
  durable: boolean;
  /** owning connection of an exclusive queue, else null */
  exclusiveOwner: object | null;
  autoDelete: boolean;
  arguments: FieldTable;
}

/** How much of a queue stays in memory before new messages are paged to the store. */
export interface MemoryBudget {
  messages: number;
  bytes: number;
}

/** A publisher waiting for a congested queue (the server's connection). */
export interface FlowWaiter {
  flowResumed(queue: Queue): void;
}

/** What a queue asks of its vhost. */
export interface QueueHooks {
  /** a message leaves the queue dead (only called when the queue has a dead-letter exchange) */
  deadLetter(queue: Queue, message: Message, reason: DeathReason): void;
  /** the queue should go: auto-delete after its last consumer, or x-expires */
  remove(queue: Queue): void;
  /** a copy of the message carrying x-delivery-count = n (delivery limits); it takes over the store reference */
  withDeliveryCount(message: Message, n: number): Message;
  /** where a stored queue keeps its held delayed-message-policy messages (null: not stored) */
  delayStore(queue: Queue): DelayStore | null;
  /** where a queue that is not stored pages out past its memory budget (null: no store) */
  pagingStore(queue: Queue): QueueStore | null;
  readonly memoryBudget: MemoryBudget;
  /** an event of a traced message (message.trace set) in this queue, e.g. expire */
  traced?(queue: Queue, message: Message, type: TraceEventType): void;
}

/**
 * A queue, as routing, the vhost, the server and (later) the management API and cluster see it,
 * whatever its type: RabbitMQ's rabbit_queue_type behaviour. ClassicQueue and QuorumQueue
 * implement it today; a mirrored queue will be a third implementation, chosen by x-queue-type in
 * queue-types.ts. Nothing outside src/broker/queue depends on a concrete class.
 */
export interface Queue {
  readonly kind: 'queue';
  readonly type: QueueType;
  readonly name: string;
  readonly vhost: string;
  readonly durable: boolean;
  readonly exclusiveOwner: object | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** bindings that point at this queue (removed with it) */
  readonly bindings: Set<Binding>;
  /** effective settings: arguments merged with policies */
  readonly settings: QueueSettings;
  /** the x-arguments as declared, parsed (policies are applied on top) */
  declaredArguments: QueueArguments;
  hooks: QueueHooks | null;
  /** plain counters for stats and rates (management API); bumped in place, never allocated */
  readonly counters: QueueCounters;
  /** messages waiting for their x-delay (delayed-message policy), or null */
  readonly delayed: DelayedMessages | null;
  readonly deleted: boolean;

  readonly messageCount: number;
  readonly messageBytes: number;
  readonly unackedCount: number;
  /** ready messages held only in the store (paged out past the memory budget) */
  readonly pagedCount: number;
  readonly consumerCount: number;
  /** this queue's id in the store (0 = not stored) */
  readonly storeId: number;

  /** New effective settings (declare, or a policy change). Limits apply at once. */
  applySettings(settings: QueueSettings): void;
  /** Link to the store (null: the definition was deleted; nothing more is written). */
  attachStore(store: QueueStore | null): void;
  /** Recovery: stored entries up to maxSeq are the tail. */
  recovered(maxSeq: number): void;
  /** Recovery: a held delayed message read back from the store. */
  restoreDelayed(message: Message, dueAt: number, id: number): void;
  /** The queue was used (basic.get, redeclare): restarts the x-expires clock. */
  touch(): void;

  /** Add a message. Returns false when a reject-publish overflow refused it. */
  enqueue(message: Message): boolean;
  /** basic.get: the next live ready message, or undefined. The caller acks or requeues it unless noAck. */
  get(noAck: boolean): QueuedMessage | undefined;
  /** Ready messages in delivery order from position `offset`, at most `count`, left in place (browsing). */
  browse(offset: number, count: number): QueuedMessage[];
  ack(entry: QueuedMessage): void;
  /** Reject without requeue: the message leaves the queue, dead-lettered if configured. */
  discard(entry: QueuedMessage): void;
  /** Put a delivered message back in its original place, marked redelivered. */
  requeue(entry: QueuedMessage): void;

  /** Memory, persistence, head message and consumer figures for the management API (read on request). */
  details(): QueueDetails;

  addConsumer(consumer: QueueConsumer): void;
  removeConsumer(consumer: QueueConsumer): void;
  /** Ask for a delivery pass after the current I/O batch. */
  scheduleDrain(): void;
  /** Deliveries lag behind intake: publishers should stop reading input until flowResumed. */
  readonly congested: boolean;
  /** Tell `waiter` once the queue is no longer congested (or is deleted). */
  awaitFlow(waiter: FlowWaiter): void;

  /** Drop every ready message; returns how many. Unacked messages are untouched. */
  purge(): number;
  /** Mark deleted, drop messages, stop timers and tell consumers. Returns the ready messages dropped. */
  delete(): number;
  /** Deleted, or broker shutdown: no more timers, deliveries or writes. */
  stopTimers(): void;
}
