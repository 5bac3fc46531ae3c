import type { FieldTable } from '../../amqp/field-types.js';
import type { Message } from '../message.js';
import type { DeathReason } from './dead-letter.js';
import type { Queue } from './queue.js';

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

/** What a queue asks of its vhost. */
export interface QueueHooks {
  /** a message leaves the queue dead (only called when the queue has a dead-letter exchange) */
  deadLetter(queue: Queue, message: Message, reason: DeathReason): void;
  /** the queue should go: auto-delete after its last consumer, or x-expires */
  remove(queue: Queue): void;
  /** a copy of the message carrying x-delivery-count = n (delivery limits) */
  withDeliveryCount(message: Message, n: number): Message;
  readonly memoryBudget: MemoryBudget;
}
