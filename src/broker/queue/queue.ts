import type { FieldTable } from '../../amqp/field-types.js';
import { accessRefused } from '../../amqp/errors.js';
import { Deque } from '../../util/deque.js';
import { MinHeap } from '../../util/min-heap.js';
import { QueuedMessage, type Message } from '../message.js';
import type { QueueConsumer } from './consumer.js';
import type { Binding } from '../binding.js';

/** Most messages one drain pass delivers before yielding to I/O. */
const DRAIN_BATCH = 256;

export interface QueueOptions {
  durable: boolean;
  /** owning connection of an exclusive queue, else null */
  exclusiveOwner: object | null;
  autoDelete: boolean;
  arguments: FieldTable;
}

/**
 * A classic queue in memory. Ready messages sit in a FIFO deque in seq order; requeued
 * messages go to a heap ordered by seq so they keep their original place at the head
 * (RabbitMQ's behaviour). Delivery is round-robin among the highest-priority consumers that
 * can take a message, a bounded batch per turn.
 */
export class Queue {
  readonly kind = 'queue' as const;
  readonly durable: boolean;
  readonly exclusiveOwner: object | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** bindings that point at this queue (removed with it) */
  readonly bindings = new Set<Binding>();

  private readonly ready = new Deque<QueuedMessage>();
  private readonly requeued = new MinHeap<QueuedMessage>((e) => e.seq);
  private nextSeq = 1;
  private readyBytes = 0;
  /** consumers, highest priority first */
  private consumers: QueueConsumer[] = [];
  private rr = 0;
  private hadConsumer = false;
  private drainScheduled = false;
  private readonly drainBound = (): void => this.drain();
  /** messages delivered and not yet acked, rejected or requeued */
  unackedCount = 0;
  deleted = false;
  /** called when an auto-delete queue loses its last consumer (the vhost removes it) */
  onAutoDelete: ((queue: Queue) => void) | null = null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    options: QueueOptions,
  ) {
    this.durable = options.durable;
    this.exclusiveOwner = options.exclusiveOwner;
    this.autoDelete = options.autoDelete;
    this.arguments = options.arguments;
  }

  get messageCount(): number {
    return this.ready.length + this.requeued.length;
  }

  get messageBytes(): number {
    return this.readyBytes;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  consumerList(): readonly QueueConsumer[] {
    return this.consumers;
  }

  enqueue(message: Message): void {
    const entry = new QueuedMessage(this.nextSeq++, message, false, 0);
    this.ready.push(entry);
    this.readyBytes += message.body.length;
    if (this.consumers.length > 0) this.scheduleDrain();
  }

  /** basic.get: the next ready message, or undefined. The caller acks or requeues it unless noAck. */
  get(noAck: boolean): QueuedMessage | undefined {
    const entry = this.shiftReady();
    if (entry && !noAck) this.unackedCount++;
    return entry;
  }

  ack(_entry: QueuedMessage): void {
    this.unackedCount--;
  }

  /** Reject without requeue: the message leaves the queue. */
  discard(_entry: QueuedMessage): void {
    this.unackedCount--;
  }

  /** Put a delivered message back in its original place, marked redelivered. */
  requeue(entry: QueuedMessage): void {
    this.unackedCount--;
    if (this.deleted) return;
    entry.redelivered = true;
    this.requeued.push(entry);
    this.readyBytes += entry.message.body.length;
    if (this.consumers.length > 0) this.scheduleDrain();
  }

  addConsumer(consumer: QueueConsumer): void {
    if ((consumer.exclusive && this.consumers.length > 0) || this.hasExclusiveConsumer()) {
      throw accessRefused(`queue '${this.name}' in vhost '${this.vhost}' in exclusive use`);
    }
    // Keep highest priority first; equal priorities in arrival order.
    let i = this.consumers.length;
    while (i > 0 && (this.consumers[i - 1] as QueueConsumer).priority < consumer.priority) i--;
    this.consumers.splice(i, 0, consumer);
    this.hadConsumer = true;
    this.scheduleDrain();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumer && !this.deleted) {
      this.onAutoDelete?.(this);
    }
  }

  /** Drop every ready message; returns how many. Unacked messages are untouched. */
  purge(): number {
    const n = this.messageCount;
    this.ready.clear();
    this.requeued.clear();
    this.readyBytes = 0;
    return n;
  }

  /** Mark deleted, drop messages, and tell consumers. Returns the number of ready messages dropped. */
  delete(): number {
    if (this.deleted) return 0;
    this.deleted = true;
    const n = this.purge();
    const consumers = this.consumers;
    this.consumers = [];
    for (const c of consumers) c.queueDeleted(this);
    return n;
  }

  /** Ask for a delivery pass after the current I/O batch (a consumer gained capacity, a message arrived). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.deleted) return;
    this.drainScheduled = true;
    process.nextTick(this.drainBound);
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.deleted) return;
    let budget = DRAIN_BATCH;
    while (this.messageCount > 0) {
      const consumer = this.pickConsumer();
      if (consumer === undefined) return;
      if (budget-- === 0) {
        // More to do: let I/O run first.
        this.drainScheduled = true;
        setImmediate(this.drainBound);
        return;
      }
      const entry = this.shiftReady() as QueuedMessage;
      if (!consumer.noAck) this.unackedCount++;
      consumer.deliver(this, entry);
    }
  }

  private shiftReady(): QueuedMessage | undefined {
    const entry = this.requeued.length > 0 ? this.requeued.pop() : this.ready.shift();
    if (entry) this.readyBytes -= entry.message.body.length;
    return entry;
  }

  private hasExclusiveConsumer(): boolean {
    for (const c of this.consumers) if (c.exclusive) return true;
    return false;
  }

  /** Round-robin within the highest priority group that has a consumer with capacity. */
  private pickConsumer(): QueueConsumer | undefined {
    const consumers = this.consumers;
    const n = consumers.length;
    let start = 0;
    while (start < n) {
      const priority = (consumers[start] as QueueConsumer).priority;
      let end = start + 1;
      while (end < n && (consumers[end] as QueueConsumer).priority === priority) end++;
      const size = end - start;
      for (let k = 0; k < size; k++) {
        const offset = (this.rr + k) % size;
        const c = consumers[start + offset] as QueueConsumer;
        if (c.canDeliver()) {
          this.rr = offset + 1;
          return c;
        }
      }
      start = end;
    }
    return undefined;
  }
}
